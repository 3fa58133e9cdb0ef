//===- KernelBench.cpp - Google Benchmark of the generated kernels --------===//
//
// Each distinct matmul of BitNet b1.58 2B4T (q/o 2560x2560, k/v 640x2560,
// gate/up 6912x2560, down 2560x6912), decode (M = 1) and prefill (M = 128),
// with the kernel tern compile chooses by default for this CPU, JIT-compiled
// as it generates it, on one thread. Counters: weight bytes streamed per
// second (decode weights rotate over copies larger than the caches, as the
// tuner times them) and multiply-adds per second.
//
//   build/bin/tern-kernel-bench [--benchmark_filter=decode]
//
// (The tied 128256x2560 f16 head is not a ternary kernel; tern bench's
// roofline line covers it.)
//
//===----------------------------------------------------------------------===//

#include "compiler/Tuning/KernelJit.h"
#include "runtime/ternary/Packing.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>

using namespace mlir::tern;

namespace {

void matmul(benchmark::State &state, int64_t m, int64_t n, int64_t k) {
  const std::vector<std::string> families = hostKernelFamilies();
  if (families.empty()) {
    state.SkipWithError("this CPU runs no generated kernel family");
    return;
  }
  const KernelChoice c = defaultChoice(families, m, n, k);
  auto jit = KernelJit::create(c, m, n, k);
  if (!jit) {
    state.SkipWithError(llvm::toString(jit.takeError()).c_str());
    return;
  }
  state.SetLabel(c.kernel.family + " b" + std::to_string(c.block) + " t" +
                 std::to_string(c.kernel.tileM) + "x" +
                 std::to_string(c.kernel.tileN));
  std::mt19937 rng(1);
  std::vector<int8_t> a(m * k), t(n * k);
  for (auto &v : a)
    v = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
  for (auto &v : t)
    v = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
  const ::tern::PackedLayout layout{::tern::PackingKind::I2, c.block};
  const size_t bytes = n * ::tern::packedRowBytes(layout, k);
  const size_t copies = std::clamp<size_t>((64u << 20) / bytes + 1, 1, 64);
  std::vector<uint8_t> w(bytes * copies);
  ::tern::packTernary(layout, t.data(), n, k, w.data());
  for (size_t i = 1; i < copies; ++i)
    std::copy(w.begin(), w.begin() + bytes, w.begin() + i * bytes);
  std::vector<int32_t> out(m * n);
  size_t next = 0;
  for (auto _ : state) {
    (*jit)->run(a.data(), w.data() + bytes * next, out.data(), 0, n);
    benchmark::DoNotOptimize(out.data());
    next = (next + 1) % copies;
  }
  const double calls = static_cast<double>(state.iterations());
  state.counters["weight_GB"] = benchmark::Counter(
      calls * bytes / 1e9, benchmark::Counter::kIsRate);
  state.counters["GMAC"] = benchmark::Counter(
      calls * m * n * k / 1e9, benchmark::Counter::kIsRate);
}

struct Shape {
  const char *name;
  int64_t n, k;
};
constexpr Shape kShapes[] = {{"attn_q_o_2560x2560", 2560, 2560},
                             {"attn_k_v_640x2560", 640, 2560},
                             {"ffn_gate_up_6912x2560", 6912, 2560},
                             {"ffn_down_2560x6912", 2560, 6912}};

const bool registered = [] {
  for (const Shape &s : kShapes)
    for (int64_t m : {1, 128}) {
      const std::string name = std::string(m == 1 ? "decode/" : "prefill128/") +
                               s.name;
      benchmark::RegisterBenchmark(name.c_str(),
                                   [s, m](benchmark::State &st) {
                                     matmul(st, m, s.n, s.k);
                                   })
          ->Unit(benchmark::kMicrosecond);
    }
  return true;
}();

} // namespace

BENCHMARK_MAIN();
