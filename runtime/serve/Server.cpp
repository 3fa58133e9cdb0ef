//===- Server.cpp - `tern serve` and `./exe serve` ------------------------===//

#include "runtime/serve/Server.h"

#include "runtime/generate/ChatTemplate.h"
#include "runtime/generate/RunSession.h"
#include "runtime/serve/ChatPage.h"
#include "runtime/serve/Metrics.h"
#include "runtime/serve/OpenAi.h"
#include "runtime/serve/Scheduler.h"
#include "runtime/support/Text.h"
#include "runtime/support/Version.h"

#include <httplib.h>

#include <chrono>
#include <csignal>
#include <ctime>
#include <pthread.h>
#include <random>

namespace tern {

namespace {

/// What a request's stream hands from the scheduler's thread to the
/// client's: released text, then the end.
struct Reply {
  std::mutex mu;
  std::condition_variable cv;
  std::string text;     ///< released, not yet sent
  bool done = false;
  std::string reason;   ///< "stop", "length", "cancelled", "error: ..."
  int64_t generated = 0;
};

/// The reply as server-sent events (chunks, the finish, usage when asked,
/// [DONE]) or as one JSON object; a failed write cancels the request.
void streamReply(httplib::Response &res, const ResponseInfo &info,
                 std::shared_ptr<SeqRequest> seq, std::shared_ptr<Reply> reply,
                 bool usage);
void wholeReply(httplib::Response &res, const ResponseInfo &info,
                std::shared_ptr<SeqRequest> seq, std::shared_ptr<Reply> reply);

class Server {
public:
  Server(const ServeOptions &o, RunBackend &b, ChatTemplate tmpl,
         std::unique_ptr<Scheduler> scheduler, std::string modelName)
      : o_(o), b_(b), tok_(*b.tokenizer()), tmpl_(tmpl),
        scheduler_(std::move(scheduler)), model_(std::move(modelName)),
        created_(static_cast<int64_t>(std::time(nullptr))) {}

  void routes(httplib::Server &http);
  /// New requests get 503; the scheduler finishes what it holds.
  void drain() {
    draining_.store(true);
    scheduler_->drain();
  }

private:
  void completion(const httplib::Request &req, httplib::Response &res,
                  bool chat);
  bool authorized(const httplib::Request &req, httplib::Response &res);
  void fail(httplib::Response &res, const ApiError &e, const char *endpoint);
  OrError<std::vector<TokenId>> promptOf(const CompletionRequest &r);
  std::shared_ptr<SeqRequest> request(const CompletionRequest &r,
                                      std::vector<TokenId> prompt,
                                      std::shared_ptr<Reply> reply);
  std::string newId(bool chat);

  const ServeOptions &o_;
  RunBackend &b_;
  const Tokenizer &tok_;
  ChatTemplate tmpl_;
  std::unique_ptr<Scheduler> scheduler_;
  std::string model_;
  int64_t created_;
  std::atomic<bool> draining_{false};
  std::atomic<uint64_t> ids_{0};
  ServerMetrics metrics_;
};

bool Server::authorized(const httplib::Request &req, httplib::Response &res) {
  if (o_.apiKey.empty())
    return true;
  const std::string want = "Bearer " + o_.apiKey;
  if (req.get_header_value("Authorization") == want)
    return true;
  ApiError e{401, "invalid API key: send 'Authorization: Bearer KEY' with "
                  "the server's --api-key"};
  e.code = "invalid_api_key";
  fail(res, e, req.path.c_str());
  return false;
}

void Server::fail(httplib::Response &res, const ApiError &e,
                  const char *endpoint) {
  res.status = e.status;
  res.set_content(e.json(), "application/json");
  metrics_.request(endpoint, e.status);
}

std::string Server::newId(bool chat) {
  static const char *hex = "0123456789abcdef";
  std::random_device rd;
  std::string id = chat ? "chatcmpl-" : "cmpl-";
  for (int i = 0; i < 24; ++i)
    id += hex[rd() % 16];
  return id;
}

OrError<std::vector<TokenId>> Server::promptOf(const CompletionRequest &r) {
  using R = OrError<std::vector<TokenId>>;
  if (r.chat)
    return tmpl_.render(tok_, r.messages, /*addGenerationPrompt=*/true,
                        /*bos=*/true);
  if (r.promptTokens) {
    for (TokenId id : *r.promptTokens)
      if (id >= b_.config().vocabSize)
        return R::failure("prompt token id " + std::to_string(id) +
                          " is outside the vocabulary (0.." +
                          std::to_string(b_.config().vocabSize - 1) + ")");
    return R(*r.promptTokens);
  }
  std::vector<TokenId> ids =
      tok_.encode(r.prompt, /*addBos=*/true, /*parseSpecial=*/true);
  return R(std::move(ids));
}

std::shared_ptr<SeqRequest> Server::request(const CompletionRequest &r,
                                            std::vector<TokenId> prompt,
                                            std::shared_ptr<Reply> reply) {
  auto seq = std::make_shared<SeqRequest>();
  const int64_t room =
      scheduler_->contextSize() - static_cast<int64_t>(prompt.size());
  seq->maxTokens =
      std::min(r.maxTokens.value_or(o_.defaultMaxTokens), room);
  seq->prompt = std::move(prompt);
  seq->sampler = r.sampler;
  if (!r.seedGiven) {
    std::random_device rd;
    seq->sampler.seed = static_cast<uint64_t>(rd()) << 32 | rd();
  }
  seq->stopIds = stopIds(b_.config(), &tok_);
  auto decoder = std::make_shared<StreamDecoder>(tok_, /*skipSpecial=*/true);
  auto stops = std::make_shared<StopStrings>(r.stop);
  seq->onToken = [reply, decoder, stops](TokenId id) {
    const std::string text = stops->push(decoder->push(id));
    std::lock_guard<std::mutex> lock(reply->mu);
    ++reply->generated;
    if (!text.empty()) {
      reply->text += text;
      reply->cv.notify_one();
    }
    return !stops->stopped();
  };
  seq->onDone = [reply, decoder, stops](const std::string &reason,
                                        int64_t generated) {
    const std::string rest = stops->push(decoder->flush()) + stops->flush();
    std::lock_guard<std::mutex> lock(reply->mu);
    reply->text += rest;
    reply->reason = reason;
    reply->generated = generated;
    reply->done = true;
    reply->cv.notify_one();
  };
  return seq;
}

/// Waits up to `wait` for text or the end; returns the text taken.
std::string take(Reply &r, bool &done, std::string &reason,
                 std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(r.mu);
  r.cv.wait_for(lock, wait, [&] { return r.done || !r.text.empty(); });
  std::string out;
  out.swap(r.text);
  done = r.done;
  reason = r.reason;
  return out;
}

void Server::completion(const httplib::Request &req, httplib::Response &res,
                        bool chat) {
  const char *endpoint = chat ? "/v1/chat/completions" : "/v1/completions";
  if (!authorized(req, res))
    return;
  ApiError err;
  OrError<CompletionRequest> parsed =
      parseCompletionRequest(req.body, chat, o_.sampler, err);
  if (!parsed)
    return fail(res, err, endpoint);
  OrError<std::vector<TokenId>> prompt = promptOf(*parsed);
  if (!prompt) {
    ApiError e{400, prompt.error};
    e.param = chat ? "messages" : "prompt";
    return fail(res, e, endpoint);
  }
  const int64_t n = static_cast<int64_t>(prompt->size()),
                ctx = scheduler_->contextSize();
  if (n == 0)
    return fail(res, ApiError{400, "the prompt is empty"}, endpoint);
  if (n >= ctx) {
    ApiError e{400, "the prompt has " + std::to_string(n) +
                        " tokens; this server's context holds " +
                        std::to_string(ctx) +
                        " per request (the prompt and at least one new "
                        "token; -c sets it)"};
    e.code = "context_length_exceeded";
    e.param = chat ? "messages" : "prompt";
    return fail(res, e, endpoint);
  }
  if (draining_.load())
    return fail(res, ApiError{503, "the server is shutting down",
                              "server_error"},
                endpoint);
  auto reply = std::make_shared<Reply>();
  std::shared_ptr<SeqRequest> seq = request(*parsed, *prompt, reply);
  if (!scheduler_->submit(seq)) {
    ApiError e{503, "the server is busy: " + std::to_string(o_.slots) +
                        " slots in use and " + std::to_string(o_.queueLimit) +
                        " requests queued (--parallel, --queue)",
               "server_error"};
    e.code = "queue_full";
    return fail(res, e, endpoint);
  }
  metrics_.request(endpoint, 200);
  const ResponseInfo info{newId(chat), static_cast<int64_t>(std::time(nullptr)),
                          model_, chat};
  if (parsed->stream)
    streamReply(res, info, seq, reply, parsed->includeUsage);
  else
    wholeReply(res, info, seq, reply);
}

namespace {
const char *finishReason(const std::string &reason) {
  return reason == "length" ? "length" : "stop";
}
} // namespace

void streamReply(httplib::Response &res, const ResponseInfo &info,
                 std::shared_ptr<SeqRequest> seq, std::shared_ptr<Reply> reply,
                 bool usage) {
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [=, first = info.chat](size_t, httplib::DataSink &sink) mutable {
        auto send = [&](const std::string &json) {
          const std::string event = "data: " + json + "\n\n";
          return sink.write(event.data(), event.size());
        };
        if (first) { // the chat's first chunk names the role
          first = false;
          if (!send(chunkJson(info, "", true, "")))
            return seq->cancelled = true, false;
        }
        bool done = false;
        std::string reason;
        const std::string text =
            take(*reply, done, reason, std::chrono::milliseconds(500));
        if (!text.empty() && !send(chunkJson(info, text, false, "")))
          return seq->cancelled = true, false;
        // An SSE comment while waiting notices a client that left.
        if (text.empty() && !done && !sink.write(": waiting\n\n", 11))
          return seq->cancelled = true, false;
        if (!done)
          return true;
        send(chunkJson(info, "", false, finishReason(reason)));
        if (usage)
          send(usageChunkJson(info, static_cast<int64_t>(seq->prompt.size()),
                              reply->generated));
        sink.write("data: [DONE]\n\n", 14);
        sink.done();
        return true;
      },
      [seq](bool success) {
        if (!success)
          seq->cancelled = true;
      });
}

void wholeReply(httplib::Response &res, const ResponseInfo &info,
                std::shared_ptr<SeqRequest> seq, std::shared_ptr<Reply> reply) {
  // One JSON object at the end; spaces (valid before JSON) while waiting
  // notice a client that left.
  res.set_chunked_content_provider(
      "application/json",
      [=, body = std::string()](size_t, httplib::DataSink &sink) mutable {
        bool done = false;
        std::string reason;
        const std::string text =
            take(*reply, done, reason, std::chrono::milliseconds(1000));
        body += text;
        if (!done) {
          if (text.empty() && !sink.write(" ", 1))
            return seq->cancelled = true, false;
          return true;
        }
        const std::string json = completionJson(
            info, body, finishReason(reason),
            static_cast<int64_t>(seq->prompt.size()), reply->generated);
        sink.write(json.data(), json.size());
        sink.done();
        return true;
      },
      [seq](bool success) {
        if (!success)
          seq->cancelled = true;
      });
}

void Server::routes(httplib::Server &http) {
  http.Post("/v1/chat/completions",
            [this](const httplib::Request &q, httplib::Response &r) {
              completion(q, r, true);
            });
  http.Post("/v1/completions",
            [this](const httplib::Request &q, httplib::Response &r) {
              completion(q, r, false);
            });
  http.Get("/v1/models", [this](const httplib::Request &q,
                                httplib::Response &r) {
    if (!authorized(q, r))
      return;
    r.set_content(modelsJson(model_, created_, scheduler_->contextSize()),
                  "application/json");
    metrics_.request("/v1/models", 200);
  });
  http.Get("/health", [this](const httplib::Request &, httplib::Response &r) {
    const bool ok = !draining_.load();
    r.status = ok ? 200 : 503;
    r.set_content(ok ? R"({"status":"ok"})" : R"({"status":"shutting down"})",
                  "application/json");
  });
  http.Get("/metrics", [this](const httplib::Request &, httplib::Response &r) {
    r.set_content(metrics_.prometheus(scheduler_->metrics()),
                  "text/plain; version=0.0.4");
  });
  http.Get("/", [this](const httplib::Request &, httplib::Response &r) {
    r.set_content(chatPageHtml(), "text/html; charset=utf-8");
    metrics_.request("/", 200);
  });
  http.set_error_handler([this](const httplib::Request &q,
                                httplib::Response &r) {
    if (!r.body.empty())
      return;
    ApiError e{r.status, r.status == 404 ? "no route " + q.method + " " +
                                               escapeForMessage(q.path)
                                         : "HTTP error " +
                                               std::to_string(r.status)};
    e.type = r.status == 404 ? "not_found_error" : "invalid_request_error";
    r.set_content(e.json(), "application/json");
    metrics_.request("other", r.status);
  });
}

std::string modelNameOf(const ServeOptions &o, const std::string &program) {
  if (!o.alias.empty())
    return o.alias;
  // A compiled executable is named after its file ("./kjv serve": kjv).
  std::string path =
      o.model.empty() ? program.substr(0, program.find(' ')) : o.model;
  while (path.size() > 1 && path.back() == '/')
    path.pop_back();
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

int serveUnguarded(const std::string &program,
                   const std::vector<std::string> &args, bool modelFlag,
                   const RunBackendLoader &load) {
  auto fail = [&](const std::string &m) {
    printError(program, m);
    return 1;
  };
  OrError<ServeOptions> parsed = parseServeOptions(args, modelFlag);
  if (!parsed)
    return fail(parsed.error);
  const ServeOptions &o = *parsed;
  if (o.help) {
    std::fputs(serveUsage(program, modelFlag).c_str(), stdout);
    return 0;
  }
  RunOptions ro;
  ro.model = o.model;
  ro.head = o.head;
  ro.verify = o.verify;
  ro.mmap = o.mmap;
  OrError<std::unique_ptr<RunBackend>> backend =
      loadRunBackend(program, ro, load);
  if (!backend)
    return fail(backend.error);
  RunBackend &b = **backend;
  if (!b.tokenizer() || !b.tokenizer()->canEncode())
    return fail("serve needs a model with a tokenizer (and a runtime built "
                "with PCRE2)");
  OrError<ChatTemplate> tmpl =
      ChatTemplate::choose(o.chatTemplate, b.chatTemplate(), o.model);
  if (!tmpl)
    return fail(tmpl.error);
  const int64_t ctx = o.contextSize
                          ? o.contextSize
                          : std::min<int64_t>(b.maxContext(), 4096);
  if (ctx > b.maxContext())
    return fail("-c " + std::to_string(ctx) + " exceeds the " +
                std::to_string(b.maxContext()) + "-token context of the model");

  // SIGTERM and SIGINT are taken by a thread of their own (sigwait): block
  // them before any thread starts so that every thread inherits the mask.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  OrError<std::unique_ptr<LanguageModel>> lm =
      b.instantiate(resolveThreads(o.threads, b), ctx, o.slots);
  if (!lm)
    return fail(lm.error);
  SchedulerOptions so;
  so.queueLimit = o.queueLimit;
  so.prefillChunk = o.prefillChunk;
  so.draftMax = o.lookup ? o.draftMax : 0;
  Server server(o, b, *tmpl,
                std::make_unique<Scheduler>(std::move(*lm), so),
                modelNameOf(o, program));
  httplib::Server http;
  const int httpThreads =
      o.httpThreads ? o.httpThreads
                    : static_cast<int>(std::min<int64_t>(
                          o.slots + o.queueLimit + 4, 1024));
  http.new_task_queue = [httpThreads] {
    return new httplib::ThreadPool(static_cast<size_t>(httpThreads));
  };
  http.set_payload_max_length(64u << 20);
  server.routes(http);
  int port = o.port;
  if (port == 0) {
    port = http.bind_to_any_port(o.host);
    if (port < 0)
      return fail("cannot listen on " + o.host);
  } else if (!http.bind_to_port(o.host, port)) {
    return fail("cannot listen on " + o.host + ":" + std::to_string(port) +
                " (in use? --port N, or 0 for any free port)");
  }
  std::fprintf(stderr,
               "%s: serving %s (Tern %s, %s chat format, %lld slots of %lld "
               "tokens) on http://%s:%d\n",
               program.c_str(), modelNameOf(o, program).c_str(), ternVersion(),
               tmpl->name(), static_cast<long long>(o.slots),
               static_cast<long long>(ctx), o.host.c_str(), port);
  std::fflush(stderr);

  std::atomic<bool> signalled{false};
  std::thread signals([&] {
    int sig = 0;
    sigwait(&stopSignals, &sig);
    signalled.store(true);
    std::fprintf(stderr, "%s: %s: finishing the requests in flight\n",
                 program.c_str(), sig == SIGTERM ? "SIGTERM" : "SIGINT");
    server.drain();
    http.stop();
  });
  http.listen_after_bind();
  // listen returned: stopped by the signal thread, or failed (then wake
  // the signal thread to drain and end).
  if (!signalled.load())
    pthread_kill(signals.native_handle(), SIGTERM);
  signals.join();
  std::fprintf(stderr, "%s: stopped\n", program.c_str());
  return 0;
}

} // namespace

int serveMain(const std::string &program, const std::vector<std::string> &args,
              bool modelFlag, const RunBackendLoader &load) {
  return runGuarded(program, [&] {
    return serveUnguarded(program, args, modelFlag, load);
  });
}

} // namespace tern
