//===- RunSession.cpp - Pieces shared by run, chat and serve --------------===//

#include "runtime/generate/RunSession.h"

#include "runtime/support/Text.h"

#include <random>

namespace tern {

/// The tokens that end generation: end of text and end of turn, from the
/// model's configuration and its tokenizer (either may lack them).
std::vector<TokenId> stopIds(const ModelConfig &c, const Tokenizer *tok) {
  std::vector<TokenId> ids;
  for (TokenId id : {c.eosId, c.eotId, tok ? tok->eosId() : -1,
                     tok ? tok->eotId() : -1})
    if (id >= 0 && std::find(ids.begin(), ids.end(), id) == ids.end())
      ids.push_back(id);
  return ids;
}

/// The seed of a run: -s, else a random one (printed when sampling).
uint64_t chooseSeed(const std::string &program, const RunOptions &o) {
  if (o.seed)
    return *o.seed;
  std::random_device rd;
  const uint64_t seed = (static_cast<uint64_t>(rd()) << 32 | rd()) &
                        static_cast<uint64_t>(INT64_MAX);
  if (o.sampler.temperature > 0 && !o.quiet)
    std::fprintf(stderr, "%s: seed %llu (random; -s %llu repeats this run)\n",
                 program.c_str(), static_cast<unsigned long long>(seed),
                 static_cast<unsigned long long>(seed));
  return seed;
}

/// --verbose-prompt: the prompt's tokens, one per line, on stderr.
void printPromptTokens(const std::string &program, const Tokenizer *tok,
                       const std::vector<TokenId> &prompt) {
  std::fprintf(stderr, "%s: prompt: %zu tokens\n", program.c_str(),
               prompt.size());
  for (TokenId id : prompt) {
    const std::string piece =
        tok ? escapeForMessage(tok->decode({id}, /*skipSpecial=*/false)) : "";
    std::fprintf(stderr, "%8d -> '%s'\n", id, piece.c_str());
  }
}


} // namespace tern
