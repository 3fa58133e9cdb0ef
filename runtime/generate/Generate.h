//===- Generate.h - The generation loop -----------------------------------===//
//
// Prompt processing (one batched forward() over the prompt), then decoding
// one token at a time: sample, report, stop on a stop id / the token limit /
// a full context, else evaluate the new token (with prompt lookup, together
// with a draft of the tokens expected after it). Shared by `tern run` and
// compiled executables; it only sees the LanguageModel interface.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_GENERATE_GENERATE_H
#define TERN_RUNTIME_GENERATE_GENERATE_H

#include "runtime/generate/LanguageModel.h"
#include "runtime/generate/Sampler.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tern {

struct GenerateRequest {
  std::vector<TokenId> prompt; ///< At least one token.
  int64_t maxNewTokens = 0;
  /// Generation stops after producing one of these (it is reported).
  std::vector<TokenId> stopIds;
  /// Called with each new token; return false to stop.
  std::function<bool(TokenId)> onToken;
  /// When set, receives the logits of every evaluated position, in order
  /// ([positions, vocab] row-major, appended).
  std::vector<float> *logits = nullptr;
  /// Prompt-lookup decoding (PromptLookup.h): draft up to this many tokens
  /// from the context and verify them in one multi-token forward(); 0: off.
  /// Greedy sampling only (the output is identical to plain decoding);
  /// a sampling temperature turns it off.
  int64_t draftMax = 0;
  /// Draft at every chance, whatever the measured speeds (Generate.cpp's
  /// DraftPolicy otherwise drafts less while drafting loses time).
  bool draftEveryChance = false;
};

struct GenerateStats {
  int64_t promptTokens = 0;
  double promptSeconds = 0;
  int64_t generatedTokens = 0;
  /// Generated tokens that were fed back (evaluated one at a time or as a
  /// verified draft token).
  int64_t decodeEvals = 0;
  /// Prompt lookup: multi-token forward() calls, tokens drafted in them,
  /// and drafted tokens that greedy decoding then generated.
  int64_t draftPasses = 0, draftedTokens = 0, acceptedDraft = 0;
  double decodeSeconds = 0; ///< Evaluations and sampling.
  std::vector<TokenId> tokens; ///< The generated tokens.
  /// "limit", "stop token", "context full" or "callback".
  std::string stopReason;
};

/// Runs the loop; an error comes from the model (bad token, context).
OrError<GenerateStats> generate(LanguageModel &model, Sampler &sampler,
                                const GenerateRequest &request);

} // namespace tern

#endif // TERN_RUNTIME_GENERATE_GENERATE_H
