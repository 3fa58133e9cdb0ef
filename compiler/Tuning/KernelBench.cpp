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
// prefill64_<family>/*: a prefill chunk of 64 rows (the executables'
// default) with each family the CPU runs for prefill (amx, vnni512, ...),
// prefetching as compiled; prefill64_<family>_pf0/*: the same without
// prefetching, for families whose prefill kernels prefetch; and for the
// other families that prefetch, prefill64_<family>_pf/*: the same with the
// target's prefetch (to check that they need none). The prefill
// benchmarks of the vpdpbusd and vpmaddubsw families also count of_peak:
// their multiply-adds per second over those of the peak loop of their
// vector width (vnni512, vnni512x: peak/int8_vpdpbusd512; vnni, vnnix:
// peak/int8_vpdpbusd256; avx2: peak/int8_vpmaddubsw256, which counts
// vpmaddubsw's 32 products alone, so that avx2's kernels, which also widen
// their i16 sums with vpmaddwd, top out below 1), run for a few
// microseconds after each call (outside the timed part), so that both come
// from the same seconds.
//
// decode_cached/*, prefill64_<family>_cached/*: as above on weights
// that stay in the caches (one copy: the instructions' rate, not memory's).
//
// decode_<family>_<packing>/*: decode with each family the CPU runs on
// each packing other than the default's that it reads (i2, base3v, lut2i),
// one block per row.
//
// head/*: the tied 128256x2560 head as tern compile generates it (a model
// of no layers: embedding lookup, final norm, head), in each head format,
// on 2 threads, weight GB/s counted over the head's bytes (for the
// screened formats their copy's and bounds'; `recomputed`: the rows of the
// last token whose logit is the native one, for a token row that is its
// own normalized embedding row, so that one logit stands out as in a
// trained model's decode); `screen_scan` is the screened head's int8 scan
// alone (its tern.screen_head removed): the int8 head's bytes against the
// token row quantized to 15 bits.
//
// peak/*: the int8 multiply-add peak of one core (independent vpdpbusd
// chains on 512- or 256-bit registers, vpmaddubsw chains, or tdpbusd on
// tile registers, no memory), the compute roofline that prefill GMAC/s are
// a fraction of.
//
//===----------------------------------------------------------------------===//

#include "compiler/Import/ModelImporter.h"
#include "dialects/Tern/IR/TernOps.h"
#include "compiler/Import/WeightBlob.h"
#include "compiler/Kernels/DefaultPolicy.h"
#include "compiler/Transforms/KernelSelection.h"
#include "compiler/Pipelines/Pipelines.h"
#include "compiler/Pipelines/Registration.h"
#include "compiler/Target/TargetMachine.h"
#include "compiler/Tuning/KernelJit.h"
#include "runtime/compiled/tern_abi.h"
#include "runtime/model/Half.h"
#include "runtime/reference/ReferenceModel.h"
#include "runtime/support/ThreadPool.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/Support/TargetSelect.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <random>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

using namespace mlir;
using namespace mlir::tern;

namespace {

/// A peak loop: `iters` steps of independent multiply-add chains; returns
/// the multiply-adds done.
using PeakLoop = int64_t (*)(int64_t iters, int32_t *sink);

#if defined(__x86_64__)
int64_t vpdpbusd512(int64_t iters, int32_t *sink);
int64_t vpdpbusd256(int64_t iters, int32_t *sink);
int64_t vpmaddubsw256(int64_t iters, int32_t *sink);
#endif

/// The peak loop of the instruction and vector width `family`'s
/// multiply-adds run at, where it has one (the vpdpbusd families and avx2;
/// the family runs on this CPU, so the loop does too); null otherwise.
PeakLoop peakLoopOf(const KernelFamily &family) {
#if defined(__x86_64__)
  if (family.name == "vnni512" || family.name == "vnni512x")
    return vpdpbusd512;
  if (family.name == "vnni" || family.name == "vnnix")
    return vpdpbusd256;
  if (family.name == "avx2")
    return vpmaddubsw256;
#endif
  (void)family;
  return nullptr;
}

/// Runs `loop` for a few microseconds and adds its multiply-adds and
/// seconds to `macs` and `seconds`.
void samplePeak(PeakLoop loop, double &macs, double &seconds) {
  int32_t sink = 0;
  const auto t0 = std::chrono::steady_clock::now();
  macs += static_cast<double>(loop(1 << 13, &sink));
  seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                           t0)
                 .count();
  benchmark::DoNotOptimize(sink);
}

/// `c` (the default kernel for the shape when empty) on weights streamed
/// from 256 MiB of copies (or, `cached`, one copy that stays in the
/// caches: the kernel's arithmetic rate), one thread.
void matmul(benchmark::State &state, int64_t m, int64_t n, int64_t k,
            KernelChoice c, bool cached = false) {
  if (!c)
    c = KernelSelector(hostTarget()).choice(m, n, k);
  if (!c) {
    state.SkipWithError("no generated kernel family of this CPU reads it");
    return;
  }
  auto jit = KernelJit::create(c, m, n, k);
  if (!jit) {
    state.SkipWithError(llvm::toString(jit.takeError()).c_str());
    return;
  }
  state.SetLabel(c.str());
  std::mt19937 rng(1);
  // Activations and weights 64-byte aligned, as in the executable.
  AlignedArray<int8_t> a(m * k);
  std::vector<int8_t> t(n * k);
  for (auto &v : a)
    v = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
  for (auto &v : t)
    v = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
  const size_t bytes = n * c.layout.rowBytes(k);
  // 256 MiB of copies: past the L3 (see Tuner.cpp).
  const size_t copies =
      cached ? 1 : std::clamp<size_t>((256u << 20) / bytes + 1, 1, 256);
  AlignedArray<uint8_t> w(bytes * copies);
  c.layout.pack(t.data(), n, k, w.data());
  for (size_t i = 1; i < copies; ++i)
    std::copy(w.begin(), w.begin() + bytes, w.begin() + i * bytes);
  AlignedArray<int32_t> out(m * n);
  size_t next = 0;
  // Prefill against the peak of its vector width timed between its calls
  // (outside the benchmark's time): both rates from the same seconds, as a
  // shared machine's clock moves between benchmarks.
  const PeakLoop peakLoop = m > 1 ? peakLoopOf(*c.family) : nullptr;
  double kernelSeconds = 0, peakMacs = 0, peakSeconds = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    (*jit)->run(a.data(), w.data() + bytes * next, out.data(), 0,
                (*jit)->units());
    benchmark::DoNotOptimize(out.data());
    kernelSeconds += std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - t0)
                         .count();
    next = (next + 1) % copies;
    if (peakLoop) {
      state.PauseTiming();
      samplePeak(peakLoop, peakMacs, peakSeconds);
      state.ResumeTiming();
    }
  }
  const double calls = static_cast<double>(state.iterations());
  if (peakLoop && kernelSeconds > 0 && peakSeconds > 0)
    state.counters["of_peak"] =
        (calls * m * n * k / kernelSeconds) / (peakMacs / peakSeconds);
  state.counters["weight_GB"] = benchmark::Counter(
      calls * bytes / 1e9, benchmark::Counter::kIsRate);
  state.counters["GMAC"] = benchmark::Counter(
      calls * m * n * k / 1e9, benchmark::Counter::kIsRate);
}

#if defined(__x86_64__)
/// 12 independent accumulators (named variables, so that they live in
/// registers) so that latency never limits throughput; returns the
/// multiply-adds done.
#define TERN_ACCS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
__attribute__((target("avx512f,avx512bw,avx512vnni"))) int64_t
vpdpbusd512(int64_t iters, int32_t *sink) {
  const __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
#define TERN_DECL(i) __m512i v##i = _mm512_set1_epi32(i);
  TERN_ACCS(TERN_DECL)
  for (int64_t it = 0; it < iters; ++it) {
#define TERN_STEP(i)                                                           \
  v##i = _mm512_dpbusd_epi32(v##i, a, b);                                      \
  __asm__ volatile("" : "+v"(v##i));
    TERN_ACCS(TERN_STEP)
  }
  __m512i t = _mm512_setzero_si512();
#define TERN_SUM(i) t = _mm512_add_epi32(t, v##i);
  TERN_ACCS(TERN_SUM)
  alignas(64) int32_t lanes[16];
  _mm512_store_si512(lanes, t);
  *sink = lanes[0] + lanes[15];
  return iters * 12 * 64;
#undef TERN_DECL
#undef TERN_STEP
#undef TERN_SUM
}

/// vpdpbusd on 256-bit vectors, as the VEX (AVX-VNNI) or the EVEX
/// (AVX512-VNNI with VL) instruction, whichever the CPU has.
#define TERN_VPDPBUSD256(NAME, TARGET)                                         \
  __attribute__((target(TARGET))) int64_t NAME(int64_t iters,                  \
                                               int32_t *sink) {                \
    const __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-2);           \
    TERN_ACCS(TERN_DECL)                                                       \
    for (int64_t it = 0; it < iters; ++it) {                                   \
      TERN_ACCS(TERN_STEP)                                                     \
    }                                                                          \
    __m256i t = _mm256_setzero_si256();                                        \
    TERN_ACCS(TERN_SUM)                                                        \
    *sink = _mm256_extract_epi32(t, 0) + _mm256_extract_epi32(t, 7);           \
    return iters * 12 * 32;                                                    \
  }
#define TERN_DECL(i) __m256i v##i = _mm256_set1_epi32(i);
#define TERN_SUM(i) t = _mm256_add_epi32(t, v##i);
#define TERN_STEP(i)                                                           \
  v##i = _mm256_dpbusd_avx_epi32(v##i, a, b);                                  \
  __asm__ volatile("" : "+v"(v##i));
TERN_VPDPBUSD256(vpdpbusd256Vex, "avxvnni")
#undef TERN_STEP
#define TERN_STEP(i)                                                           \
  v##i = _mm256_dpbusd_epi32(v##i, a, b);                                      \
  __asm__ volatile("" : "+v"(v##i));
TERN_VPDPBUSD256(vpdpbusd256Evex, "avx512f,avx512vl,avx512vnni")
#undef TERN_STEP
#undef TERN_DECL
#undef TERN_SUM
#undef TERN_VPDPBUSD256

int64_t vpdpbusd256(int64_t iters, int32_t *sink) {
  return __builtin_cpu_supports("avxvnni") ? vpdpbusd256Vex(iters, sink)
                                           : vpdpbusd256Evex(iters, sink);
}

__attribute__((target("avx2"))) int64_t vpmaddubsw256(int64_t iters,
                                                     int32_t *sink) {
  const __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-2);
#define TERN_DECL(i) __m256i v##i = _mm256_set1_epi16(i);
  TERN_ACCS(TERN_DECL)
  for (int64_t it = 0; it < iters; ++it) {
    // vpmaddubsw (32 u8 x s8 products, pairwise into i16) plus an add, as
    // the avx2 kernels do. Each product reads its own chain's value: a
    // product of the loop's constants alone is computed once, before the
    // loop (the loop then times vpaddw, about twice as many per cycle).
#define TERN_STEP(i)                                                           \
  v##i = _mm256_add_epi16(_mm256_maddubs_epi16(v##i, b), a);                   \
  __asm__ volatile("" : "+v"(v##i));
    TERN_ACCS(TERN_STEP)
  }
  __m256i t = _mm256_setzero_si256();
#define TERN_SUM(i) t = _mm256_add_epi16(t, v##i);
  TERN_ACCS(TERN_SUM)
  *sink = _mm256_extract_epi16(t, 0);
  return iters * 12 * 32;
#undef TERN_DECL
#undef TERN_STEP
#undef TERN_SUM
}
#undef TERN_ACCS

/// One core's tdpbusd peak: 4 independent 16x16 i32 accumulators, A and B
/// tiles of 16 x 64 bytes already in tile registers (no memory).
__attribute__((target("amx-tile,amx-int8"))) int64_t tdpbusd(int64_t iters) {
  struct {
    uint8_t palette = 1, startRow = 0, reserved[14] = {};
    uint16_t colBytes[16] = {};
    uint8_t rows[16] = {};
  } config;
  for (int t = 0; t < 8; ++t) {
    config.colBytes[t] = 64;
    config.rows[t] = 16;
  }
  alignas(64) static int8_t a[16 * 64];
  std::fill(std::begin(a), std::end(a), 1);
  _tile_loadconfig(&config);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  _tile_loadd(4, a, 64);
  _tile_loadd(5, a, 64);
  _tile_loadd(6, a, 64);
  _tile_loadd(7, a, 64);
  for (int64_t it = 0; it < iters; ++it) {
    _tile_dpbusd(0, 4, 5);
    _tile_dpbusd(1, 4, 6);
    _tile_dpbusd(2, 7, 5);
    _tile_dpbusd(3, 7, 6);
  }
  alignas(64) static int32_t out[16 * 16];
  _tile_stored(0, out, 64);
  _tile_release();
  benchmark::DoNotOptimize(out[0]);
  return iters * 4 * 16 * 16 * 64;
}

void peakTiles(benchmark::State &state) {
  if (!llvm::is_contained(hostFamilies(), &amxFamily())) {
    state.SkipWithError("this CPU or process cannot use AMX tiles");
    return;
  }
  int64_t macs = 0;
  for (auto _ : state)
    macs += tdpbusd(1 << 12);
  state.counters["GMAC"] = benchmark::Counter(static_cast<double>(macs) / 1e9,
                                              benchmark::Counter::kIsRate);
}

/// One of the peak loops, where the CPU has what it needs (`missing`
/// names what it lacks otherwise).
void peak(benchmark::State &state, PeakLoop loop, bool supported,
          const char *missing) {
  if (!supported) {
    state.SkipWithError(missing);
    return;
  }
  int64_t macs = 0;
  int32_t sink = 0;
  for (auto _ : state) {
    macs += loop(1 << 16, &sink);
    benchmark::DoNotOptimize(sink);
  }
  state.counters["GMAC"] = benchmark::Counter(static_cast<double>(macs) / 1e9,
                                              benchmark::Counter::kIsRate);
}
#endif

::tern::ThreadPool *gHeadPool = nullptr;
extern "C" void benchParallelFor(tern_task_fn fn, void *args, int64_t n,
                                 int64_t blocks, int64_t maxBlock) {
  gHeadPool->parallelForBalanced(n, blocks, fn, args, maxBlock);
}

/// One parallel region of one empty item per thread, as tern_parallel_for
/// makes it (a task, balanced): the hand-off alone, from the call to its
/// return (docs/performance.md, "Hand-offs between core complexes").
void emptyRegion(benchmark::State &state) {
  ::tern::ThreadPool pool(static_cast<int>(state.range(0)));
  const int64_t items = pool.size();
  for (auto _ : state)
    pool.parallelForBalanced(
        items, 8, [](void *, int64_t, int64_t) {}, nullptr);
}

/// Decode of the fused gate/up weights (13824 x 2560) on two threads, as an
/// executable runs it: balanced blocks of the kernel's units, at most
/// 128 KiB of weights each. `segmentBytes` > 0: as
/// tern-outline-column-epilogues runs it, over the 6912 gate columns, a
/// block of at most that many bytes per slice running the kernel on its
/// gate units, then on the same up units (two streams per thread in
/// turn); 0: over the 13824 columns in order (one stream per thread).
void decodeGateUp(benchmark::State &state, int64_t segmentBytes) {
  const int64_t n = 13824, k = 2560;
  const KernelChoice c = KernelSelector(hostTarget()).choice(1, n, k);
  auto jit = c ? KernelJit::create(c, 1, n, k)
               : llvm::Expected<std::unique_ptr<KernelJit>>(
                     llvm::createStringError("no kernel family reads it"));
  if (!jit) {
    state.SkipWithError(llvm::toString(jit.takeError()).c_str());
    return;
  }
  state.SetLabel(c.str() + ", 2 threads");
  AlignedArray<int8_t> a(k);
  std::fill(a.begin(), a.end(), int8_t(3));
  std::vector<int8_t> t(n * k);
  std::mt19937 rng(1);
  for (auto &v : t)
    v = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
  const size_t bytes = n * c.layout.rowBytes(k);
  const size_t copies = std::clamp<size_t>((256u << 20) / bytes + 1, 1, 256);
  AlignedArray<uint8_t> w(bytes * copies);
  c.layout.pack(t.data(), n, k, w.data());
  for (size_t i = 1; i < copies; ++i)
    std::copy(w.begin(), w.begin() + bytes, w.begin() + i * bytes);
  AlignedArray<int32_t> out(n);
  const int64_t units = (*jit)->units();
  const int64_t unitBytes = static_cast<int64_t>(bytes) / units;
  struct Call {
    const KernelJit *jit;
    const int8_t *a;
    const uint8_t *w;
    int32_t *out;
    int64_t shift; // the up units' offset; 0: one range in order
  } call{jit->get(), a.data(), nullptr, out.data(),
         segmentBytes > 0 ? units / 2 : 0};
  auto task = [](void *context, int64_t begin, int64_t end) {
    const Call &k = *static_cast<const Call *>(context);
    k.jit->run(k.a, k.w, k.out, begin, end);
    if (k.shift)
      k.jit->run(k.a, k.w, k.out, begin + k.shift, end + k.shift);
  };
  const int64_t range = segmentBytes > 0 ? units / 2 : units;
  const int64_t most = std::max<int64_t>(
      1, (segmentBytes > 0 ? segmentBytes : kStreamBlockBytes) / unitBytes);
  ::tern::ThreadPool pool(2);
  size_t next = 0;
  for (auto _ : state) {
    call.w = w.data() + bytes * next;
    pool.parallelForBalanced(range, kParallelBlocks, task, &call, most);
    benchmark::DoNotOptimize(out.data());
    next = (next + 1) % copies;
  }
  state.counters["weight_GB"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * double(bytes) / 1e9,
      benchmark::Counter::kIsRate);
}

using DecodeFn = void (*)(tern_memref_i8_1d *, tern_memref_f32_3d *,
                          tern_memref_f32_3d *, int64_t, int64_t,
                          tern_memref_f32_1d *);

void head(benchmark::State &state, ::tern::HeadFormat format,
          bool scanOnly = false) {
  const int64_t H = 2560, V = 128256, C = 8, KV = 640;
  auto model = std::make_shared<::tern::ModelDescription>();
  model->sourcePath = "2B4T head";
  ::tern::ModelConfig &c = model->config;
  c.hiddenSize = H, c.intermediateSize = 6912, c.numLayers = 0;
  c.numHeads = 20, c.numKvHeads = 5, c.headDim = 128, c.vocabSize = V;
  c.maxPositions = C, c.tiedEmbeddings = true;
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 0.03f);
  std::vector<uint16_t> emb(static_cast<size_t>(V * H));
  for (uint16_t &e : emb)
    e = ::tern::floatToFp16(dist(rng));
  std::vector<float> norm(H, 1.0f);
  model->tokenEmbedding = {"token_embd.weight", ::tern::DenseType::F16, V, H,
                           emb.data()};
  model->outputNorm = {"output_norm.weight", norm.data(), H};

  static std::once_flag init;
  std::call_once(init, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  DialectRegistry registry;
  registerTernDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  ImportOptions io;
  io.contextSize = C;
  io.prefillRows = 0;
  io.head = format;
  auto imported = importModel(ctx, *model, io);
  if (!imported) {
    state.SkipWithError(llvm::toString(imported.takeError()).c_str());
    return;
  }
  if (scanOnly)
    imported->module->walk([](mlir::tern::ScreenHeadOp op) { op.erase(); });
  PassManager select(&ctx);
  buildSelectionPipeline(select, SelectionOptions{});
  if (failed(select.run(imported->module.get()))) {
    state.SkipWithError("kernel selection failed");
    return;
  }
  auto weights = collectWeights(imported->module.get(), model);
  if (!weights) {
    state.SkipWithError(llvm::toString(weights.takeError()).c_str());
    return;
  }
  PassManager pm(&ctx);
  buildLoweringPipeline(pm, /*runtimeThreads=*/true);
  if (failed(pm.run(imported->module.get()))) {
    state.SkipWithError("lowering failed");
    return;
  }
  // Optimized as tern compile optimizes the executable.
  auto optimizer = jitOptimizer(hostTarget());
  if (!optimizer) {
    state.SkipWithError(llvm::toString(optimizer.takeError()).c_str());
    return;
  }
  ExecutionEngineOptions eo;
  eo.transformer = std::move(*optimizer);
  eo.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = ExecutionEngine::create(imported->module.get(), eo);
  if (!engine) {
    state.SkipWithError(llvm::toString(engine.takeError()).c_str());
    return;
  }
  (*engine)->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap map;
    map[interner(TERN_ABI_PARALLEL_FOR_FN)] = {
        llvm::orc::ExecutorAddr::fromPtr(&benchParallelFor),
        llvm::JITSymbolFlags::Exported};
    map[interner(TERN_ABI_REGION_SCRATCH_FN)] = {
        llvm::orc::ExecutorAddr::fromPtr(&tern_region_scratch),
        llvm::JITSymbolFlags::Exported};
    return map;
  });
  auto sym = (*engine)->lookup("_mlir_ciface_" TERN_ABI_DECODE_FN);
  if (!sym) {
    state.SkipWithError(llvm::toString(sym.takeError()).c_str());
    return;
  }
  auto decode = reinterpret_cast<DecodeFn>(*sym);

  std::vector<uint8_t> blob(weights->size + 64);
  uint8_t *base = reinterpret_cast<uint8_t *>(
      (reinterpret_cast<uintptr_t>(blob.data()) + 63) / 64 * 64);
  for (const BlobEntry &e : weights->entries)
    if (!e.fill(base + e.offset)) {
      state.SkipWithError("cannot fill the weights");
      return;
    }
  std::vector<float> logits(V), dummy(1);
  tern_memref_i8_1d wm{base, base, 0, {int64_t(weights->size)}, {1}};
  tern_memref_f32_3d cache{dummy.data(), dummy.data(), 0, {0, C, KV},
                           {C * KV, KV, 1}};
  tern_memref_f32_1d out{logits.data(), logits.data(), 0, {V}, {1}};
  ::tern::ThreadPool pool(2);
  gHeadPool = &pool;
  int64_t token = 0;
  for (auto _ : state) {
    decode(&wm, &cache, &cache, 0, token, &out);
    benchmark::DoNotOptimize(logits.data());
    token = (token + 7919) % V;
  }
  if (::tern::isScreenedHead(format) && !scanOnly) {
    // The rows whose logit is the native one: recomputed (or equal by
    // chance), against dotHead of the normalized row itself.
    std::vector<float> x(static_cast<size_t>(H)), w(static_cast<size_t>(H));
    const int64_t last = (token + V - 7919) % V;
    for (int64_t i = 0; i < H; ++i)
      x[i] = ::tern::fp16ToFloat(emb[last * H + i]);
    decode(&wm, &cache, &cache, 0, last, &out);
    int64_t same = 0;
    std::vector<float> xn(static_cast<size_t>(H));
    ::tern::rmsNormRow(x.data(), norm.data(), H, c.rmsNormEps, xn.data());
    for (int64_t v = 0; v < V; ++v) {
      for (int64_t i = 0; i < H; ++i)
        w[i] = ::tern::fp16ToFloat(emb[v * H + i]);
      same += ::tern::dotHead(xn.data(), w.data(), H) == logits[v];
    }
    state.counters["recomputed"] = double(same);
  }
  gHeadPool = nullptr;
  const double headBytes =
      format == ::tern::HeadFormat::Native
          ? double(V * H * 2)
          : double(V * (::tern::headCodeBytesPerRow(format, H) +
                        ::tern::headScaleBytes(format) *
                            ::tern::headScalesPerRow(format, H) +
                        (::tern::isScreenedHead(format) && !scanOnly
                             ? 4 * ::tern::kScreenBoundValues
                             : 0)));
  state.SetLabel(std::string(scanOnly ? "screen scan"
                                      : ::tern::headFormatName(format)) +
                 ", 2 threads");
  state.counters["weight_GB"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * headBytes / 1e9,
      benchmark::Counter::kIsRate);
  state.counters["GMAC"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * double(V * H) / 1e9,
      benchmark::Counter::kIsRate);
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
#if defined(__x86_64__)
  const bool vnni512 = __builtin_cpu_supports("avx512vnni") &&
                       __builtin_cpu_supports("avx512bw");
  const bool vnni256 =
      __builtin_cpu_supports("avxvnni") ||
      (__builtin_cpu_supports("avx512vnni") &&
       __builtin_cpu_supports("avx512vl"));
  benchmark::RegisterBenchmark(
      "peak/int8_vpdpbusd512",
      [=](benchmark::State &st) {
        peak(st, vpdpbusd512, vnni512, "this CPU has no AVX512-VNNI");
      })
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(
      "peak/int8_vpdpbusd256",
      [=](benchmark::State &st) {
        peak(st, vpdpbusd256, vnni256,
             "this CPU has neither AVX-VNNI nor AVX512-VNNI with VL");
      })
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(
      "peak/int8_vpmaddubsw256",
      [](benchmark::State &st) {
        peak(st, vpmaddubsw256, __builtin_cpu_supports("avx2"),
             "this CPU has no AVX2");
      })
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("peak/int8_tdpbusd", peakTiles)
      ->Unit(benchmark::kMicrosecond);
#endif
  for (const Shape &s : kShapes)
    for (int64_t m : {1, 128}) {
      const std::string name = std::string(m == 1 ? "decode/" : "prefill128/") +
                               s.name;
      benchmark::RegisterBenchmark(name.c_str(),
                                   [s, m](benchmark::State &st) {
                                     matmul(st, m, s.n, s.k, {});
                                   })
          ->Unit(benchmark::kMicrosecond);
    }
  // Gate/up's decode stream on two threads: in order, and in the stacked
  // blocks of tern-outline-column-epilogues (runs of 128 KiB of each
  // slice, as compiled, or 64 KiB).
  benchmark::RegisterBenchmark("decode2/ffn_gate_up_13824x2560/in_order",
                               [](benchmark::State &st) { decodeGateUp(st, 0); })
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  for (int64_t kib : {128, 64})
    benchmark::RegisterBenchmark(
        ("decode2/ffn_gate_up_13824x2560/stacked_" + std::to_string(kib) +
         "k")
            .c_str(),
        [kib](benchmark::State &st) { decodeGateUp(st, kib * 1024); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  benchmark::RegisterBenchmark("pool/empty_region", emptyRegion)
      ->Arg(2)
      ->Unit(benchmark::kNanosecond);
  // Decode of the k/v shape (410 KB of i2 weights) from the L2 cache: what
  // the kernel's instructions cost when memory does not limit them.
  benchmark::RegisterBenchmark("decode_cached/attn_k_v_640x2560",
                               [](benchmark::State &st) {
                                 matmul(st, 1, 640, 2560, {}, /*cached=*/true);
                               })
      ->Unit(benchmark::kMicrosecond);
  for (::tern::HeadFormat f : ::tern::kHeadFormats)
    benchmark::RegisterBenchmark(
        (std::string("head/") + ::tern::headFormatName(f) + "_128256x2560")
            .c_str(),
        [f](benchmark::State &st) { head(st, f); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  benchmark::RegisterBenchmark(
      "head/screen_scan_128256x2560",
      [](benchmark::State &st) {
        head(st, ::tern::HeadFormat::Screened, /*scanOnly=*/true);
      })
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  // Prefill chunks as executables run them (kDefaultPrefillRows rows) with
  // every family the host runs for prefill, on the layout the default
  // policy picks (or the family's preferred one where it does not read
  // that), with the family's default tile and the target's prefetch
  // distance; families that prefetch also without it (`_pf0`), to compare.
  const Target host = hostTarget();
  for (const KernelFamily *f : hostFamilies())
    for (const Shape &s : kShapes) {
      const int64_t m = kDefaultPrefillRows;
      Layout l = defaultLayout(hostFamilies(), s.n, s.k);
      if (!f->reads(l, s.k))
        l = preferredLayout(*f, s.n, s.k);
      if (f->prefillRank == KernelFamily::kNever || m < f->minRows || !l)
        continue;
      const KernelChoice c =
          defaultKernel({f}, m, s.n, s.k, l, host.streamPrefetch(m),
                        host.streamPrefetchLocality());
      const KernelChoice plain = withPrefetch(c, m, 0);
      const std::string name =
          "prefill" + std::to_string(m) + "_" + f->name.str();
      // As compiled, then the other way (with or without prefetching).
      std::vector<KernelChoice> variants = {c};
      KernelChoice other = plain;
      if (!c.prefetch && f->prefetches) {
        other.prefetch = host.streamPrefetch(m);
        other.locality = other.prefetch ? host.streamPrefetchLocality()
                                        : kDefaultPrefetchLocality;
      }
      if (!(other == c))
        variants.push_back(other);
      for (const KernelChoice &x : variants) {
        benchmark::RegisterBenchmark(
            (name + (&x == &variants[0] ? "" : x.prefetch ? "_pf" : "_pf0") +
             "/" + s.name)
                .c_str(),
            [s, x, m](benchmark::State &st) { matmul(st, m, s.n, s.k, x); })
            ->Unit(benchmark::kMicrosecond);
      }
      benchmark::RegisterBenchmark(
          (name + "_cached/" + s.name).c_str(),
          [s, c, m](benchmark::State &st) {
            matmul(st, m, s.n, s.k, c, /*cached=*/true);
          })
          ->Unit(benchmark::kMicrosecond);
    }
  // Decode with every family the host runs on every packing other than
  // the default layout's that it reads, in one block per row (i2 where
  // i2x16 is the default, 1.6-bit base3v, the lookup tables' lut2i, ...),
  // with the family's default tile.
  for (const KernelFamily *f : hostFamilies())
    for (const Packing *p : packings())
      for (const Shape &s : kShapes) {
        const Layout l{p, s.k};
        if (p == defaultLayout(hostFamilies(), s.n, s.k).packing ||
            !p->tuneBlocks || !l.check(s.n, s.k).empty() ||
            !f->reads(l, s.k))
          continue;
        const KernelChoice c{f, l, f->defaultTile(1, s.k, /*prefetch=*/0)};
        benchmark::RegisterBenchmark(
            ("decode_" + f->name.str() + "_" + p->name.str() + "/" + s.name)
                .c_str(),
            [s, c](benchmark::State &st) { matmul(st, 1, s.n, s.k, c); })
            ->Unit(benchmark::kMicrosecond);
      }
  return true;
}();

} // namespace

BENCHMARK_MAIN();
