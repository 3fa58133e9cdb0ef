//===- ReferenceBackend.cpp - `tern run`'s backend ------------------------===//

#include "runtime/reference/ReferenceBackend.h"

#include "runtime/reference/ReferenceModel.h"

namespace tern {

namespace {
class ReferenceBackend final : public RunBackend {
public:
  ReferenceBackend(std::shared_ptr<const ModelDescription> model,
                   std::optional<Tokenizer> tokenizer, HeadFormat head)
      : model_(std::move(model)), tokenizer_(std::move(tokenizer)),
        head_(head) {}

  const ModelConfig &config() const override { return model_->config; }
  std::string chatTemplate() const override {
    return model_->vocab.chatTemplate;
  }
  const Tokenizer *tokenizer() const override {
    return tokenizer_ ? &*tokenizer_ : nullptr;
  }
  OrError<std::unique_ptr<LanguageModel>>
  instantiate(int threads, int64_t contextSize,
              int64_t sequences) override {
    ReferenceOptions ro;
    ro.threads = threads;
    ro.contextSize = contextSize;
    ro.sequences = sequences;
    ro.head = head_;
    auto r = ReferenceModel::create(model_, ro);
    if (!r)
      return OrError<std::unique_ptr<LanguageModel>>::failure(r.error);
    return OrError<std::unique_ptr<LanguageModel>>(std::move(*r));
  }

private:
  std::shared_ptr<const ModelDescription> model_;
  std::optional<Tokenizer> tokenizer_;
  HeadFormat head_;
};
} // namespace

OrError<std::unique_ptr<RunBackend>>
loadReferenceBackend(const RunOptions &options) {
  using R = OrError<std::unique_ptr<RunBackend>>;
  ModelOrError m = loadModel(options.model);
  if (!m)
    return R::failure(m.error);
  auto model = std::make_shared<const ModelDescription>(std::move(*m));
  std::optional<Tokenizer> tokenizer;
  if (!model->vocab.tokens.empty()) {
    TokenizerOrError t = buildTokenizer(*model);
    if (!t)
      return R::failure(t.error);
    tokenizer = std::move(*t);
  }
  return R(std::make_unique<ReferenceBackend>(std::move(model),
                                              std::move(tokenizer),
                                              options.head));
}

} // namespace tern
