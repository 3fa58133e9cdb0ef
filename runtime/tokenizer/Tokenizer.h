//===- Tokenizer.h - LLaMA-3 byte-level BPE tokenizer ---------------------===//
//
// The tokenizer of BitNet b1.58 2B4T, which is LLaMA-3's: a byte-level BPE
// over 128000 ranked tokens plus 256 special (control) tokens.
//
// Encoding a text:
//  1. With special-token parsing on, literal special-token strings
//     ("<|eot_id|>") are cut out of the text and become their ids; the text
//     between them is encoded on its own (steps 2-3).
//  2. A pre-tokenizer regex splits the text into pieces:
//       (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//       ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//     (PCRE2, UTF + UCP; \s is Unicode's White_Space property, as in
//     tiktoken). Bytes that are not valid UTF-8 are never matched
//     by the regex; each maximal run of such bytes forms a piece of its own.
//  3. Each piece is turned into tokens by BPE: a piece that is itself a
//     token is emitted directly; otherwise it starts as single bytes and the
//     adjacent pair whose concatenation is a token of the lowest rank (ties:
//     the leftmost pair) is merged until no adjacent pair forms a token.
//     The rank of a token is its id.
//
// Token strings are raw bytes here. Two on-disk forms exist:
//  * tiktoken `tokenizer.model`: one "<base64 of bytes> <rank>" per line;
//  * GGUF `tokenizer.ggml.tokens` / tokenizer.json `model.vocab`: GPT-2's
//    bytes-to-unicode form, where each byte is one printable code point
//    (see bytesToGpt2Unicode / gpt2UnicodeToBytes).
//
// Hugging Face `tokenizer.json` files (readTokenizerJsonVocab) carry an
// explicit merge list; Tern does not read it. It ranks merges by the id of
// the merged token instead (step 3), which is exactly what the list encodes
// for LLaMA-3 and for every tokenizer.json converted from a tiktoken rank
// file (merges sorted by the merged token's rank, ranks = ids). A
// tokenizer.json whose merge order differs from its id order would encode
// differently here. Likewise the pre-tokenizer is always the LLaMA-3 regex
// above, whatever the file's `pre_tokenizer` section says.
//
// Tokenizer objects are immutable after construction apart from the
// bos/eos/eot id overrides, cheap to copy (the vocabulary is shared), and
// safe to use from several threads at once.
//
// Nothing here depends on MLIR or LLVM; the regex engine is PCRE2.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_TOKENIZER_TOKENIZER_H
#define TERN_RUNTIME_TOKENIZER_TOKENIZER_H

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern {

/// A token id (= BPE rank for ordinary tokens).
using TokenId = int32_t;

/// Number of special tokens LLaMA-3 appends after its ranked tokens.
constexpr int kLlama3NumSpecialTokens = 256;

/// Names of LLaMA-3's 256 special tokens in id order (index i is id n + i,
/// n = number of ranked tokens, 128000 for LLaMA-3): <|begin_of_text|>,
/// <|end_of_text|>, <|reserved_special_token_0|>, <|reserved_special_token_1|>,
/// <|finetune_right_pad_id|>, <|reserved_special_token_2|>,
/// <|start_header_id|>, <|end_header_id|>, <|eom_id|>, <|eot_id|>,
/// <|python_tag|>, then <|reserved_special_token_3|> ... _247|>.
std::vector<std::string> llama3SpecialTokenNames();

struct TokenizerOrError;

/// A byte-level BPE tokenizer; see the file comment.
class Tokenizer {
public:
  /// Builds a tokenizer from raw token bytes indexed by id. `isSpecial[id]`
  /// marks special (control) tokens: they never take part in BPE and are
  /// only produced by special-token parsing. `isSpecial` may be shorter than
  /// `tokens` (missing entries mean "not special").
  ///
  /// Requirements (else an error that starts with `origin`): at least one
  /// token; every ordinary token non-empty; each of the 256 single bytes is
  /// an ordinary token; special tokens non-empty and pairwise distinct.
  /// Ordinary tokens with identical bytes are allowed; the lowest id wins.
  ///
  /// bos/eos/eot ids are looked up by the LLaMA-3 names
  /// (<|begin_of_text|>, <|end_of_text|>, <|eot_id|>) among the special
  /// tokens; absent ones are -1 (see setBosId etc. to override).
  static TokenizerOrError fromVocab(std::vector<std::string> tokens,
                                    const std::vector<bool> &isSpecial,
                                    const std::string &origin = "vocabulary");

  /// Reads a tiktoken rank file (`tokenizer.model`): one line per token,
  /// "<base64 of the token bytes> <rank>", ranks 0, 1, 2, ... in order;
  /// empty lines are skipped, a trailing '\r' is ignored. Then appends the
  /// 256 LLaMA-3 special tokens (llama3SpecialTokenNames) at ids n..n+255,
  /// n = number of ranks (128000 for LLaMA-3). Errors look like
  /// "<path> line 17: bad base64".
  static TokenizerOrError fromTiktokenFile(const std::string &path);

  /// Builds a tokenizer from tokens in GPT-2 bytes-to-unicode form, as GGUF
  /// `tokenizer.ggml.tokens` and tokenizer.json `model.vocab` store them.
  /// Ordinary tokens are decoded to raw bytes (an error names the id of a
  /// token that is not in that form); special tokens are taken verbatim, as
  /// those files store them as plain text.
  static TokenizerOrError
  fromGpt2Vocab(const std::vector<std::string> &tokens,
                const std::vector<bool> &isSpecial,
                const std::string &origin = "vocabulary");

  /// Reads a Hugging Face `tokenizer.json` (see readTokenizerJsonVocab) and
  /// builds the tokenizer with fromGpt2Vocab. Errors start with `path`.
  static TokenizerOrError fromTokenizerJson(const std::string &path);

  /// Encodes `text` (UTF-8; invalid bytes are kept, see the file comment).
  /// With `addBos`, starts with bosId() (ignored when there is none). With
  /// `parseSpecial`, literal special-token strings in the text map to their
  /// ids (longest match first); otherwise they are ordinary text.
  std::vector<TokenId> encode(std::string_view text, bool addBos = false,
                              bool parseSpecial = false) const;

  /// Concatenated bytes of `ids`. Special tokens decode to their text
  /// unless `skipSpecial`. An id outside [0, vocabSize()) decodes to U+FFFD.
  std::string decode(const std::vector<TokenId> &ids,
                     bool skipSpecial = false) const;

  /// The prompt of BitNet b1.58 2B4T's chat format for one user turn:
  /// `<|begin_of_text|>User: {msg}<|eot_id|>Assistant: `. The message is
  /// encoded as ordinary text (special-token strings in it are not parsed).
  /// Needs bosId() and eotId() (ids of -1 are left out).
  std::vector<TokenId> chatPrompt(std::string_view userMessage) const;

  /// Splits `text` into pre-tokenizer pieces (step 2 of the file comment,
  /// no special-token parsing). The views point into `text`.
  std::vector<std::string_view> preTokenize(std::string_view text) const;

  /// Number of tokens, ordinary and special.
  int32_t vocabSize() const;
  /// Raw bytes of token `id`; empty for an id out of range.
  std::string_view tokenBytes(TokenId id) const;
  /// Whether `id` is a special (control) token.
  bool isSpecial(TokenId id) const;
  /// Id of the special token whose text is `name`, if there is one.
  std::optional<TokenId> specialTokenId(std::string_view name) const;
  /// Id of the ordinary token with exactly these bytes, if there is one.
  std::optional<TokenId> tokenId(std::string_view bytes) const;

  /// <|begin_of_text|> (128000 for LLaMA-3), or -1.
  TokenId bosId() const { return bos_; }
  /// <|end_of_text|> (128001), or -1.
  TokenId eosId() const { return eos_; }
  /// <|eot_id|> (128009), the end of a chat turn, or -1.
  TokenId eotId() const { return eot_; }
  /// Overrides, e.g. from GGUF metadata (tokenizer.ggml.bos_token_id).
  void setBosId(TokenId id) { bos_ = id; }
  void setEosId(TokenId id) { eos_ = id; }
  void setEotId(TokenId id) { eot_ = id; }

  /// Whether the pre-tokenizer regex runs JIT-compiled code.
  bool usesJit() const;

  /// False in a runtime built without PCRE2 (TERN_WITH_PCRE2=OFF, e.g. the
  /// AArch64 cross build): decoding works, encoding text does not (callers
  /// must take token ids instead).
  bool canEncode() const;

  struct Impl; // Vocabulary and compiled regex; defined in Tokenizer.cpp.

private:
  explicit Tokenizer(std::shared_ptr<const Impl> impl);
  void appendBpe(std::string_view piece, std::vector<TokenId> &out) const;
  void appendText(std::string_view text, std::vector<TokenId> &out) const;

  std::shared_ptr<const Impl> impl_;
  TokenId bos_ = -1, eos_ = -1, eot_ = -1;
};

/// Result of a Tokenizer factory: a tokenizer, or an error message naming
/// the input (file and line where there is one) and what is wrong.
struct TokenizerOrError {
  std::optional<Tokenizer> tokenizer;
  std::string error;

  bool ok() const { return tokenizer.has_value(); }
  explicit operator bool() const { return ok(); }
  Tokenizer &operator*() { return *tokenizer; }
  const Tokenizer &operator*() const { return *tokenizer; }
  Tokenizer *operator->() { return &*tokenizer; }
  const Tokenizer *operator->() const { return &*tokenizer; }
};

/// The vocabulary of a Hugging Face `tokenizer.json`, in the form
/// Tokenizer::fromGpt2Vocab and GGUF's tokenizer.ggml.tokens use.
struct TokenizerJsonVocab {
  /// Token strings indexed by id: `model.vocab` entries in GPT-2
  /// bytes-to-unicode form, `added_tokens` marked special as plain text.
  std::vector<std::string> tokens;
  /// Special tokens: `added_tokens` entries (see readTokenizerJsonVocab).
  std::vector<bool> isSpecial;
  /// Ids no entry of the file uses, filled with placeholders (0 for
  /// LLaMA-3, whose ids are dense).
  int32_t numPlaceholders = 0;
};

/// Reads the vocabulary of the Hugging Face tokenizer.json at `path` into
/// `out`; returns "" or an error that starts with `path` and names the key
/// or entry ("<path>: model.type is 'WordPiece', expected 'BPE'").
///
/// Requirements: a JSON object whose `model` has `type` "BPE", a `vocab`
/// object mapping token strings (GPT-2 form) to distinct non-negative ids,
/// and no continuing_subword_prefix / end_of_word_suffix; optional
/// `added_tokens`, an array of {"id", "content", "special"} objects with
/// distinct ids and non-empty contents. An added token whose id is in
/// `model.vocab` must spell the same token (in GPT-2 form or as plain
/// text); it becomes special when "special" is true. An added token with an
/// id of its own is always special: Tern has no separate class for Hugging
/// Face's non-special added tokens, so they too are only recognised by
/// special-token parsing. Ids are dense in LLaMA-3; ids that no entry uses
/// (only up to the largest used id, which must be below 2^24) are filled
/// with special placeholders "<|tern_unused_id_N|>" so that ids stay
/// indices. The merge list is not read (see the file comment).
std::string readTokenizerJsonVocab(const std::string &path,
                                   TokenizerJsonVocab &out);

/// The inverse: a Hugging Face tokenizer.json for `vocab` (ordinary tokens
/// in model.vocab, specials as added_tokens) with the merge list implied
/// by the ranks (every split of a token into two lower-ranked tokens, in
/// order of the token's rank), so that Hugging Face's tokenizers library
/// encodes like Tern does.
std::string tokenizerJsonText(const TokenizerJsonVocab &vocab);

/// Turns a stream of token ids into text that is always whole UTF-8
/// characters: bytes of a multi-byte character split across tokens are held
/// back until the character completes. Bytes that cannot be (or can no
/// longer become) part of a valid UTF-8 character are emitted as U+FFFD,
/// one per maximal ill-formed subsequence (Unicode's "maximal subpart"
/// practice), so the output is always valid UTF-8. For valid UTF-8 the
/// concatenated output equals Tokenizer::decode of the same ids.
class StreamDecoder {
public:
  /// Keeps a (cheap) copy of `tokenizer`.
  explicit StreamDecoder(const Tokenizer &tokenizer, bool skipSpecial = false);

  /// Adds the bytes of `id`; returns the complete characters now available
  /// (possibly empty).
  std::string push(TokenId id);

  /// Ends the stream: returns what is still held back (an incomplete
  /// character becomes U+FFFD) and resets the decoder.
  std::string flush();

  /// Number of bytes held back.
  size_t pendingBytes() const { return pending_.size(); }

private:
  Tokenizer tokenizer_;
  bool skipSpecial_;
  std::string pending_;
};

/// The UTF-8 replacement character U+FFFD.
inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";

/// Code point GPT-2's bytes-to-unicode table assigns to byte `b`: the
/// printable bytes '!'..'~', 0xA1..0xAC, 0xAE..0xFF map to themselves, the
/// other 68 bytes to 256, 257, ... in byte order (space -> U+0120 'Ġ',
/// '\n' -> U+010A 'Ċ').
char32_t gpt2ByteToCodePoint(uint8_t b);

/// Raw bytes -> GPT-2 bytes-to-unicode form (UTF-8 encoded).
std::string bytesToGpt2Unicode(std::string_view bytes);

/// GPT-2 bytes-to-unicode form -> raw bytes; nullopt when `text` is not
/// valid UTF-8 or holds a code point outside the table's image.
std::optional<std::string> gpt2UnicodeToBytes(std::string_view text);

} // namespace tern

#endif // TERN_RUNTIME_TOKENIZER_TOKENIZER_H
