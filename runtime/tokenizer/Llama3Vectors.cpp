//===- Llama3Vectors.cpp - The shared LLaMA-3 tokenizer test data ---------===//

#include "runtime/tokenizer/Llama3Vectors.h"

#include <fstream>
#include <sstream>

namespace tern::testdata {

const std::string &llama3Dir() {
  static const std::string dir =
      std::string(TERN_SHARED_DIR) + "/testdata/llama3-tokenizer";
  return dir;
}

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Llama3Vectors readLlama3Vectors() {
  Llama3Vectors v;
  const std::string sep = "\n__ggml_vocab_test__\n";
  const std::string inp = readFile(llama3Dir() + "/vectors.inp");
  for (size_t pos = 0; pos < inp.size();) {
    const size_t end = inp.find(sep, pos);
    if (end == std::string::npos)
      break;
    v.inputs.push_back(inp.substr(pos, end - pos));
    pos = end + sep.size();
  }
  std::istringstream out(readFile(llama3Dir() + "/vectors.out"));
  for (std::string line; std::getline(out, line);) {
    std::istringstream ids(line);
    std::vector<TokenId> row;
    for (TokenId id; ids >> id;)
      row.push_back(id);
    v.expected.push_back(std::move(row));
  }
  return v;
}

} // namespace tern::testdata
