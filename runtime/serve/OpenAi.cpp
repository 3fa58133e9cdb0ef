//===- OpenAi.cpp - The OpenAI API's requests and responses ---------------===//

#include "runtime/serve/OpenAi.h"

#include "runtime/support/Json.h"

#include <nlohmann/json.hpp>

namespace tern {

using nlohmann::json;

std::string ApiError::json() const {
  nlohmann::json e = {{"message", message},
                      {"type", type},
                      {"param", param.empty() ? nlohmann::json() : nlohmann::json(param)},
                      {"code", code.empty() ? nlohmann::json() : nlohmann::json(code)}};
  return nlohmann::json{{"error", e}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

/// Reads the optional number `key` of `body` into `out` within [lo, hi].
bool number(const json &body, const char *key, double lo, double hi,
            std::optional<double> &out, ApiError &err) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null())
    return true;
  if (!it->is_number()) {
    err = {400, std::string("'") + key + "' must be a number, not " +
                    quoteJson(*it)};
    err.param = key;
    return false;
  }
  const double v = it->get<double>();
  if (!(v >= lo && v <= hi)) {
    err = {400, std::string("'") + key + "' is " + quoteJson(*it) +
                    ", outside [" + json(lo).dump() + ", " + json(hi).dump() +
                    "]"};
    err.param = key;
    return false;
  }
  out = v;
  return true;
}

/// A message's content: a string, or an array of {"type": "text",
/// "text": ...} parts joined.
bool content(const json &m, size_t i, std::string &out, ApiError &err) {
  auto it = m.find("content");
  if (it == m.end() || it->is_null())
    return true;
  if (it->is_string()) {
    out = it->get<std::string>();
    return true;
  }
  if (it->is_array()) {
    for (const json &part : *it) {
      if (!part.is_object() || part.value("type", "") != "text" ||
          !part.contains("text") || !part["text"].is_string()) {
        err = {400, "messages[" + std::to_string(i) +
                        "].content: only text parts are supported, got " +
                        quoteJson(part)};
        err.param = "messages";
        return false;
      }
      out += part["text"].get<std::string>();
    }
    return true;
  }
  err = {400, "messages[" + std::to_string(i) +
                  "].content must be a string or an array of text parts"};
  err.param = "messages";
  return false;
}

bool messages(const json &body, CompletionRequest &r, ApiError &err) {
  auto it = body.find("messages");
  if (it == body.end() || !it->is_array() || it->empty()) {
    err = {400, "'messages' must be a non-empty array"};
    err.param = "messages";
    return false;
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const json &m = (*it)[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
      err = {400, "messages[" + std::to_string(i) +
                      "] must be an object with a string 'role'"};
      err.param = "messages";
      return false;
    }
    ChatMessage msg;
    msg.role = m["role"].get<std::string>();
    if (msg.role == "developer")
      msg.role = "system";
    if (msg.role != "system" && msg.role != "user" && msg.role != "assistant") {
      err = {400, "messages[" + std::to_string(i) + "].role " +
                      quoteJson(m["role"]) +
                      " is not system, developer, user or assistant"};
      err.param = "messages";
      return false;
    }
    if (!content(m, i, msg.content, err))
      return false;
    r.messages.push_back(std::move(msg));
  }
  return true;
}

bool prompt(const json &body, CompletionRequest &r, ApiError &err) {
  auto it = body.find("prompt");
  auto bad = [&](const std::string &why) {
    err = {400, "'prompt' " + why};
    err.param = "prompt";
    return false;
  };
  if (it == body.end())
    return bad("is required");
  const json *p = &*it;
  // One prompt per request (n = 1): a one-element list is that prompt.
  if (p->is_array() && p->size() == 1 &&
      ((*p)[0].is_string() || (*p)[0].is_array()))
    p = &(*p)[0];
  if (p->is_string()) {
    r.prompt = p->get<std::string>();
    return true;
  }
  if (p->is_array() && p->size() > 1 && ((*p)[0].is_string() ||
                                          (*p)[0].is_array()))
    return bad("holds " + std::to_string(p->size()) +
               " prompts; Tern answers one prompt per request");
  if (p->is_array() && !p->empty()) {
    std::vector<TokenId> ids;
    for (const json &t : *p) {
      if (!t.is_number_integer() || t.get<int64_t>() < 0 ||
          t.get<int64_t>() > INT32_MAX)
        return bad("must be a string or an array of token ids (got " +
                   quoteJson(t) + " in the array)");
      ids.push_back(static_cast<TokenId>(t.get<int64_t>()));
    }
    r.promptTokens = std::move(ids);
    return true;
  }
  return bad("must be a string or an array of token ids, one prompt per "
             "request");
}

bool stops(const json &body, CompletionRequest &r, ApiError &err) {
  auto it = body.find("stop");
  if (it == body.end() || it->is_null())
    return true;
  auto bad = [&] {
    err = {400, "'stop' must be a string or an array of up to 4 non-empty "
                "strings"};
    err.param = "stop";
    return false;
  };
  if (it->is_string()) {
    if (it->get<std::string>().empty())
      return bad();
    r.stop.push_back(it->get<std::string>());
    return true;
  }
  if (!it->is_array() || it->size() > 4)
    return bad();
  for (const json &s : *it) {
    if (!s.is_string() || s.get<std::string>().empty())
      return bad();
    r.stop.push_back(s.get<std::string>());
  }
  return true;
}

bool sampling(const json &body, CompletionRequest &r, ApiError &err) {
  std::optional<double> temp, topP, topK, minP, seed, maxTokens, n;
  if (!number(body, "temperature", 0, 2, temp, err) ||
      !number(body, "top_p", 0, 1, topP, err) ||
      !number(body, "top_k", 0, 1e6, topK, err) ||
      !number(body, "min_p", 0, 1, minP, err) ||
      !number(body, "seed", -9.2e18, 9.2e18, seed, err) ||
      !number(body, "n", 1, 1, n, err))
    return false;
  if (!number(body, "max_completion_tokens", 1, 9e18, maxTokens, err) ||
      (!maxTokens && !number(body, "max_tokens", 1, 9e18, maxTokens, err)))
    return false;
  if (temp)
    r.sampler.temperature = static_cast<float>(*temp);
  if (topP)
    r.sampler.topP = static_cast<float>(*topP);
  if (topK)
    r.sampler.topK = static_cast<int32_t>(*topK);
  if (minP)
    r.sampler.minP = static_cast<float>(*minP);
  // -1 asks for a random seed (llama.cpp's convention), as no seed does.
  if (seed && *seed != -1) {
    r.sampler.seed = static_cast<uint64_t>(static_cast<int64_t>(*seed));
    r.seedGiven = true;
  }
  if (maxTokens)
    r.maxTokens = static_cast<int64_t>(*maxTokens);
  return true;
}

} // namespace

OrError<CompletionRequest>
parseCompletionRequest(const std::string &body, bool chat,
                       const SamplerOptions &defaults, ApiError &err) {
  using R = OrError<CompletionRequest>;
  json j;
  if (std::string e = parseJsonNoThrow(body, j); !e.empty()) {
    err = {400, "the request body is not valid JSON: " + e};
    return R::failure(err.message);
  }
  if (!j.is_object()) {
    err = {400, "the request body must be a JSON object"};
    return R::failure(err.message);
  }
  CompletionRequest r;
  r.chat = chat;
  r.sampler = defaults;
  if (!(chat ? messages(j, r, err) : prompt(j, r, err)) ||
      !sampling(j, r, err) || !stops(j, r, err))
    return R::failure(err.message);
  if (auto s = j.find("stream"); s != j.end() && !s->is_null()) {
    if (!s->is_boolean()) {
      err = {400, "'stream' must be true or false"};
      err.param = "stream";
      return R::failure(err.message);
    }
    r.stream = s->get<bool>();
  }
  if (auto so = j.find("stream_options"); so != j.end() && so->is_object())
    r.includeUsage = so->value("include_usage", false);
  return R(std::move(r));
}

std::string StopStrings::push(const std::string &piece) {
  if (stopped_)
    return "";
  held_ += piece;
  for (const std::string &s : stops_) {
    const size_t at = held_.find(s);
    if (at != std::string::npos) {
      stopped_ = true;
      std::string out = held_.substr(0, at);
      held_.clear();
      return out;
    }
  }
  // Hold back the longest end of the text that begins a stop string.
  size_t keep = 0;
  for (const std::string &s : stops_)
    for (size_t k = std::min(s.size() - 1, held_.size()); k > keep; --k)
      if (held_.compare(held_.size() - k, k, s, 0, k) == 0) {
        keep = k;
        break;
      }
  std::string out = held_.substr(0, held_.size() - keep);
  held_.erase(0, held_.size() - keep);
  return out;
}

std::string StopStrings::flush() {
  std::string out;
  out.swap(held_);
  return stopped_ ? "" : out;
}

namespace {
json usage(int64_t prompt, int64_t completion) {
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", prompt + completion}};
}
json head(const ResponseInfo &info, bool chunk) {
  return {{"id", info.id},
          {"object", info.chat ? (chunk ? "chat.completion.chunk"
                                        : "chat.completion")
                               : "text_completion"},
          {"created", info.created},
          {"model", info.model},
          {"system_fingerprint", "tern"}};
}
std::string dump(const json &j) {
  // Invalid UTF-8 (a reply cut inside a character) becomes U+FFFD.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}
} // namespace

std::string completionJson(const ResponseInfo &info, const std::string &text,
                           const std::string &finishReason,
                           int64_t promptTokens, int64_t completionTokens) {
  json j = head(info, false);
  json choice = {{"index", 0}, {"finish_reason", finishReason},
                 {"logprobs", nullptr}};
  if (info.chat)
    choice["message"] = {{"role", "assistant"}, {"content", text}};
  else
    choice["text"] = text;
  j["choices"] = json::array({choice});
  j["usage"] = usage(promptTokens, completionTokens);
  return dump(j);
}

std::string chunkJson(const ResponseInfo &info, const std::string &text,
                      bool role, const std::string &finishReason) {
  json j = head(info, true);
  json choice = {{"index", 0},
                 {"finish_reason",
                  finishReason.empty() ? json() : json(finishReason)},
                 {"logprobs", nullptr}};
  if (info.chat) {
    json delta = json::object();
    if (role)
      delta["role"] = "assistant";
    if (!text.empty() || (!role && finishReason.empty()))
      delta["content"] = text;
    choice["delta"] = delta;
  } else {
    choice["text"] = text;
  }
  j["choices"] = json::array({choice});
  return dump(j);
}

std::string usageChunkJson(const ResponseInfo &info, int64_t promptTokens,
                           int64_t completionTokens) {
  json j = head(info, true);
  j["choices"] = json::array();
  j["usage"] = usage(promptTokens, completionTokens);
  return dump(j);
}

std::string modelsJson(const std::string &model, int64_t created,
                       int64_t contextSize) {
  json m = {{"id", model},
            {"object", "model"},
            {"created", created},
            {"owned_by", "tern"},
            {"meta", {{"n_ctx", contextSize}}}};
  return dump({{"object", "list"}, {"data", json::array({m})}});
}

} // namespace tern
