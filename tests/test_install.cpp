// How wuxia is built and installed: the program links no CUDA library and
// opens the CUDA module only for a GPU run (src/platform/device.cpp,
// src/platform/cuda_module.cpp), --version, and an installed tree that runs from any
// folder on its own data (src/platform/install_layout.cpp, src/data/data_files.cpp).
#include <dlfcn.h>

#include <filesystem>
#include <string>

#include "test_util.hpp"
#include "wuxia/platform/device.hpp"
#include "wuxia/platform/version.hpp"

namespace {

using wuxia::test::run_command;
using wuxia::test::run_wuxia;

const std::string kTiny = " --from-scratch --steps 1 --hidden 8 --embed 4 --layers 1 --quiet";

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

TEST(Program, LinksNeitherCublasNorTheGpuRuntime) {
  const auto r = run_command("readelf -d " + std::string(WUXIA_BINARY));
  ASSERT_EQ(r.code, 0) << r.out;
  ASSERT_TRUE(has(r.out, "(NEEDED)")) << "readelf listed no NEEDED entries:\n" << r.out;
  for (const char* lib : {"libcublas", "libcudart", "libcuda.so"})
    EXPECT_FALSE(has(r.out, lib)) << lib << "\n" << r.out;
}

#if WUXIA_BUILT_WITH_CUDA
TEST(Program, TheGpuModuleLinksCublasAndTheRuntime) {
  const auto r = run_command("readelf -d " + std::string(WUXIA_BUILD_DIR) + "/libwuxia_cuda.so");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(has(r.out, "[libcublas.so")) << r.out;
  EXPECT_TRUE(has(r.out, "[libcudart.so")) << r.out;
}
#endif

// What the dynamic loader loads (LD_DEBUG=libs): on a machine without a
// driver, a run on --device auto must not load cuBLAS.
TEST(Program, WithoutADriverAutoNeverLoadsCublas) {
  if (::dlopen("libcuda.so.1", RTLD_LAZY | RTLD_NOLOAD) || ::dlopen("libcuda.so.1", RTLD_LAZY)) {
    GTEST_SKIP() << "an NVIDIA driver is present: auto may load the GPU backend";
  }
  wuxia::test::TempDir dir;
  const auto r = run_command("LD_DEBUG=libs " + std::string(WUXIA_BINARY) + " train --device auto" + kTiny + " --out " +
                             dir.file("o"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(has(r.out, "libopenblas")) << "LD_DEBUG=libs showed nothing loaded?\n" << r.out.substr(0, 2000);
  EXPECT_FALSE(has(r.out, "libcublas")) << r.out.substr(0, 4000);
  EXPECT_FALSE(has(r.out, "libcudart")) << r.out.substr(0, 4000);
  EXPECT_TRUE(has(r.out, "running on the CPU")) << r.out.substr(r.out.size() > 2000 ? r.out.size() - 2000 : 0);
}

TEST(Program, DeviceFlagSaysWhetherTheModuleOrTheDriverIsMissing) {
  if (wuxia::cuda_available()) GTEST_SKIP() << "a GPU is usable here";
  wuxia::test::TempDir dir;
  const auto missing = run_command("WUXIA_CUDA_MODULE=" + dir.file("none.so") + " " + std::string(WUXIA_BINARY) +
                                   " train --device cuda" + kTiny + " --out " + dir.file("o"));
  EXPECT_NE(missing.code, 0);
  EXPECT_TRUE(has(missing.out, "--device cuda: no usable GPU")) << missing.out;
#if WUXIA_BUILT_WITH_CUDA
  EXPECT_TRUE(has(missing.out, "the CUDA module libwuxia_cuda.so is missing")) << missing.out;
  EXPECT_TRUE(has(missing.out, dir.file("none.so"))) << "names where it looked\n" << missing.out;
  if (!::dlopen("libcuda.so.1", RTLD_LAZY)) {
    const auto r = run_wuxia("train --device cuda" + kTiny + " --out " + dir.file("o"));
    EXPECT_NE(r.code, 0);
    EXPECT_TRUE(has(r.out, "no NVIDIA driver on this machine: libcuda.so.1 not found")) << r.out;
  }
#else
  EXPECT_TRUE(has(missing.out, "built without the CUDA backend")) << missing.out;
#endif
}

TEST(Program, VersionSaysWhatItWasBuiltWith) {
  const auto r = run_wuxia("--version");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out.rfind("wuxia " WUXIA_VERSION "\n", 0), 0u) << r.out;
  EXPECT_TRUE(has(r.out, "\nBLAS: OpenBLAS")) << r.out;
  EXPECT_TRUE(has(r.out, "license: MIT")) << r.out;
#if WUXIA_BUILT_WITH_CUDA
  EXPECT_TRUE(has(r.out, "CUDA backend: libwuxia_cuda.so (built with CUDA ")) << r.out;
  EXPECT_TRUE(has(r.out, ", at " + std::string(WUXIA_BUILD_DIR) + "/libwuxia_cuda.so")) << r.out;
#else
  EXPECT_TRUE(has(r.out, "CUDA backend: not built")) << r.out;
#endif
}

// cmake --install into a scratch prefix, then the installed wuxia, run from
// a folder with no data/ of its own, trains on the bundled data it carries
// (not the source tree's: a damaged installed copy is the one it reports).
TEST(Install, InstalledTreeRunsFromAnotherFolderOnItsOwnData) {
  wuxia::test::TempDir dir;
  const std::string prefix = dir.file("prefix");
  const auto inst = run_command(std::string(WUXIA_CMAKE) + " --install " + WUXIA_BUILD_DIR + " --prefix " + prefix);
  ASSERT_EQ(inst.code, 0) << inst.out;
  const std::string bin = prefix + "/bin/wuxia";
  const std::string data = prefix + "/share/wuxia";
  for (const std::string f : {bin, data + "/jinyong.txt", data + "/ancient.txt", data + "/poets.txt",
                              data + "/README.md", data + "/ancient.LICENSE", prefix + "/share/doc/wuxia/LICENSE"}) {
    EXPECT_TRUE(std::filesystem::exists(f)) << f;
  }
  const std::string work = dir.file("elsewhere");
  std::filesystem::create_directories(work);
  const std::string run = "cd " + work + " && " + bin;
  const auto version = run_command(run + " --version");
  EXPECT_EQ(version.code, 0) << version.out;
#if WUXIA_BUILT_WITH_CUDA
  EXPECT_TRUE(has(version.out, "at " + prefix + "/lib/wuxia/libwuxia_cuda.so")) << version.out;
#endif
  const auto trained = run_command(run + " train --device cpu --from-scratch --steps 1 --hidden 8 --embed 4 --out o");
  EXPECT_EQ(trained.code, 0) << trained.out;
  EXPECT_TRUE(has(trained.out, "data: " + data + "/jinyong.txt [jinyong]")) << trained.out;
  EXPECT_TRUE(std::filesystem::exists(work + "/o/best.safetensors"));

  wuxia::test::write_file(data + "/jinyong.txt", "\x01\n");
  const auto damaged = run_command(run + " train --device cpu" + kTiny + " --out o2");
  EXPECT_NE(damaged.code, 0);
  EXPECT_TRUE(has(damaged.out, data + "/jinyong.txt:1")) << damaged.out;
}

}  // namespace
