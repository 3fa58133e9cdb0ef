//===- Metrics.cpp - /metrics in Prometheus' text format ------------------===//

#include "runtime/serve/Metrics.h"

#include <cstdio>

namespace tern {

namespace {
void metric(std::string &out, const char *name, const char *type,
            const char *help, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name +
         " " + type + "\n" + name + " " + buf + "\n";
}
} // namespace

std::string ServerMetrics::prometheus(const SchedulerMetrics &s) const {
  std::string out =
      "# HELP tern_requests_total HTTP requests by endpoint and status.\n"
      "# TYPE tern_requests_total counter\n";
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto &[key, n] : requests_)
      out += "tern_requests_total{endpoint=\"" + key.first + "\",status=\"" +
             std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
  }
  metric(out, "tern_requests_finished_total", "counter",
         "Requests the scheduler finished (not cancelled).",
         static_cast<double>(s.requestsDone));
  metric(out, "tern_requests_cancelled_total", "counter",
         "Requests ended because the client left.",
         static_cast<double>(s.requestsCancelled));
  metric(out, "tern_prompt_tokens_total", "counter", "Prompt tokens evaluated.",
         static_cast<double>(s.promptTokens));
  metric(out, "tern_generated_tokens_total", "counter", "Tokens generated.",
         static_cast<double>(s.generatedTokens));
  metric(out, "tern_prompt_tokens_per_second", "gauge",
         "Prompt tokens per second of prompt evaluation since start.",
         s.prefillSeconds > 0 ? s.promptTokens / s.prefillSeconds : 0.0);
  metric(out, "tern_generated_tokens_per_second", "gauge",
         "Decoded tokens per second of decode steps since start (all "
         "streams together).",
         s.decodeSeconds > 0 ? s.decodeRows / s.decodeSeconds : 0.0);
  metric(out, "tern_decode_steps_total", "counter",
         "Batched decode steps (one token for each generating slot).",
         static_cast<double>(s.decodeSteps));
  metric(out, "tern_draft_tokens_total", "counter",
         "Tokens drafted by prompt lookup (--lookup).",
         static_cast<double>(s.draftedTokens));
  metric(out, "tern_draft_accepted_total", "counter",
         "Drafted tokens that greedy decoding generated.",
         static_cast<double>(s.acceptedDraft));
  metric(out, "tern_queue_depth", "gauge", "Requests waiting for a slot.",
         static_cast<double>(s.queueDepth));
  metric(out, "tern_slots_busy", "gauge", "Slots holding a request.",
         static_cast<double>(s.slotsBusy));
  metric(out, "tern_slots", "gauge", "Slots (--parallel).",
         static_cast<double>(s.slots));
  return out;
}

} // namespace tern
