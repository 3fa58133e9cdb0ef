//===- NpyTest.cpp --------------------------------------------------------===//

#include "runtime/support/Npy.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <unistd.h>

using namespace tern;

TEST(Npy, HeaderIsVersion1PaddedTo64) {
  std::string h = npyFloat32Header({3, 5});
  ASSERT_EQ(h.size() % 64, 0u);
  EXPECT_EQ(h.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const size_t len = uint8_t(h[8]) | (uint8_t(h[9]) << 8);
  EXPECT_EQ(len + 10, h.size());
  EXPECT_NE(h.find("'descr': '<f4'"), std::string::npos);
  EXPECT_NE(h.find("'fortran_order': False"), std::string::npos);
  EXPECT_NE(h.find("'shape': (3, 5)"), std::string::npos);
  EXPECT_EQ(h.back(), '\n');
  EXPECT_NE(npyFloat32Header({7}).find("'shape': (7,)"), std::string::npos);
}

TEST(Npy, WritesHeaderThenData) {
  const std::string path =
      ::testing::TempDir() + "/npy-test-" + std::to_string(::getpid()) + ".npy";
  const float data[6] = {1, -2, 3.5f, 0, 1e-3f, 7};
  ASSERT_EQ(writeNpyFloat32(path, {2, 3}, data), "");
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  const std::string h = npyFloat32Header({2, 3});
  ASSERT_EQ(bytes.size(), h.size() + sizeof data);
  EXPECT_EQ(bytes.substr(0, h.size()), h);
  EXPECT_EQ(std::memcmp(bytes.data() + h.size(), data, sizeof data), 0);
  std::remove(path.c_str());
  EXPECT_NE(writeNpyFloat32("/nonexistent-dir/x.npy", {1}, data).find(
                "/nonexistent-dir/x.npy"),
            std::string::npos);
}
