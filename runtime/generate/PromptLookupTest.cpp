//===- PromptLookupTest.cpp -----------------------------------------------===//

#include "runtime/generate/PromptLookup.h"

#include <gtest/gtest.h>

using namespace tern;

TEST(PromptLookup, DraftsWhatFollowedTheLatestOccurrenceOfTheLongestSuffix) {
  // "5 6 7" occurred at 1 and at 6; the latest is followed by 20 21.
  const std::vector<TokenId> h = {4, 5, 6, 7, 8, 9, 5, 6, 7, 20, 21, 30,
                                  5, 6, 7};
  EXPECT_EQ(lookupDraft(h, 2), (std::vector<TokenId>{20, 21}));
  EXPECT_EQ(lookupDraft(h, 0), std::vector<TokenId>{});
  // A 2-token suffix when the 3-token one never occurred before.
  const std::vector<TokenId> two = {1, 2, 3, 9, 2, 3};
  EXPECT_EQ(lookupDraft(two, 1), std::vector<TokenId>{9});
  // A single repeated token is not enough (kLookupNgramMin is 2).
  EXPECT_EQ(lookupDraft({1, 2, 3, 4, 5, 3}, 4), std::vector<TokenId>{});
  EXPECT_EQ(lookupDraft({}, 4), std::vector<TokenId>{});
  EXPECT_EQ(lookupDraft({1, 1}, 4), std::vector<TokenId>{});
}

TEST(PromptLookup, APeriodRepeatsPastTheEndOfTheHistory) {
  // Period 3 (a b c): the draft goes on a b c a ... beyond what followed.
  const std::vector<TokenId> h = {9, 1, 2, 3, 1, 2, 3, 1, 2};
  EXPECT_EQ(lookupDraft(h, 7), (std::vector<TokenId>{3, 1, 2, 3, 1, 2, 3}));
  // The same token over and over.
  EXPECT_EQ(lookupDraft({4, 4, 4}, 5), (std::vector<TokenId>{4, 4, 4, 4, 4}));
}

TEST(DraftPolicy, BacksOffWhileDraftingLosesAndComesBackWhenItWins) {
  DraftPolicy p;
  EXPECT_TRUE(p.shouldDraft()); // nothing measured yet: try
  p.plainStep(0.010);           // 100 tokens/s plain
  p.pass(1, 0.020);             // 50 tokens/s drafting: skip 1 chance
  EXPECT_FALSE(p.shouldDraft());
  EXPECT_TRUE(p.shouldDraft());
  p.pass(1, 0.020); // loses again (average 50): skip 2
  EXPECT_FALSE(p.shouldDraft());
  EXPECT_FALSE(p.shouldDraft());
  EXPECT_TRUE(p.shouldDraft());
  // Passes of 8 tokens in 20 ms (400 tokens/s) bring the average above
  // plain: drafting at every chance again.
  for (int i = 0; i < 4; ++i)
    p.pass(8, 0.020);
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(p.shouldDraft());
}
