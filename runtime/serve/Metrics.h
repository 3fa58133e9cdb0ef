//===- Metrics.h - /metrics in Prometheus' text format --------------------===//
//
// Request counts by endpoint and status (counted here, by the HTTP
// handlers) and the scheduler's counters and gauges: tokens, tokens/s,
// queue depth, slots busy.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SERVE_METRICS_H
#define TERN_RUNTIME_SERVE_METRICS_H

#include "runtime/serve/Scheduler.h"

#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace tern {

class ServerMetrics {
public:
  void request(const std::string &endpoint, int status) {
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_[{endpoint, status}];
  }
  std::string prometheus(const SchedulerMetrics &s) const;

private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, int64_t> requests_;
};

} // namespace tern

#endif // TERN_RUNTIME_SERVE_METRICS_H
