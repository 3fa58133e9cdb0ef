//===- OpenAi.h - The OpenAI API's requests and responses -----------------===//
//
// What the server reads from a /v1/chat/completions or /v1/completions
// body and the JSON it answers with (chat.completion, text_completion,
// their streamed chunks, and the error object), without any HTTP: the
// server (Server.cpp) glues them to the scheduler.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SERVE_OPENAI_H
#define TERN_RUNTIME_SERVE_OPENAI_H

#include "runtime/generate/ChatTemplate.h"
#include "runtime/generate/Sampler.h"
#include "runtime/model/OrError.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tern {

/// A parsed completion request.
struct CompletionRequest {
  bool chat = false;
  std::vector<ChatMessage> messages;      ///< chat
  std::string prompt;                     ///< completions (text)
  std::optional<std::vector<TokenId>> promptTokens; ///< completions (ids)
  std::optional<int64_t> maxTokens;
  /// temperature, top_p, top_k, min_p, seed (absent: random); the
  /// defaults are the server's (llama.cpp's: temperature 0.8).
  SamplerOptions sampler;
  bool seedGiven = false;
  std::vector<std::string> stop;
  bool stream = false;
  bool includeUsage = false; ///< stream_options.include_usage
};

/// An error answered to the client: HTTP status and OpenAI error object.
struct ApiError {
  ApiError() = default;
  ApiError(int status, std::string message,
           std::string type = "invalid_request_error")
      : status(status), message(std::move(message)), type(std::move(type)) {}
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param; ///< the offending field, "" for none
  std::string code;  ///< "" for none
  /// {"error": {"message", "type", "param", "code"}}
  std::string json() const;
};

/// Parses a request body (`chat` for /v1/chat/completions); `defaults`
/// gives the sampling defaults. Errors name the field.
OrError<CompletionRequest> parseCompletionRequest(const std::string &body,
                                                  bool chat,
                                                  const SamplerOptions &defaults,
                                                  ApiError &error);

/// Ends a reply at the first stop string: text is pushed piece by piece;
/// what is returned may be sent (text that cannot be the start of a stop
/// string), the rest is held back until it can be decided.
class StopStrings {
public:
  explicit StopStrings(std::vector<std::string> stops)
      : stops_(std::move(stops)) {}
  /// The text releasable after `piece`; stopped() tells whether a stop
  /// string ended the reply (the stop string and what follows are dropped).
  std::string push(const std::string &piece);
  /// What is held back, at the end of the reply.
  std::string flush();
  bool stopped() const { return stopped_; }

private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
};

/// Ids and timestamps of responses.
struct ResponseInfo {
  std::string id;    ///< "chatcmpl-..." / "cmpl-..."
  int64_t created;   ///< Unix seconds
  std::string model; ///< the served model's name
  bool chat;
};

/// A whole (non-streamed) response.
std::string completionJson(const ResponseInfo &info, const std::string &text,
                           const std::string &finishReason,
                           int64_t promptTokens, int64_t completionTokens);
/// One streamed chunk: text (may be empty), `role` for the first chat
/// chunk, `finishReason` ("" while streaming).
std::string chunkJson(const ResponseInfo &info, const std::string &text,
                      bool role, const std::string &finishReason);
/// The last streamed chunk with usage (stream_options.include_usage).
std::string usageChunkJson(const ResponseInfo &info, int64_t promptTokens,
                           int64_t completionTokens);
/// GET /v1/models.
std::string modelsJson(const std::string &model, int64_t created,
                       int64_t contextSize);

} // namespace tern

#endif // TERN_RUNTIME_SERVE_OPENAI_H
