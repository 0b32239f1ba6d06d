// How checkpoints are read (DESIGN "Checkpoints"): inference reads the header
// and the parameters only and checks them with the prefix checksum; resume
// reads and checks the whole file; files written before CRC-32C still load;
// only a regular file is read, and a header is bounded by the file.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "test_util.hpp"
#include "wuxia/model/rng.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/checkpoint.hpp"
#include "wuxia/store/crc32.hpp"

using namespace wuxia;

namespace {

Checkpoint small_checkpoint() {
  Checkpoint ck;
  ck.styles = {"jinyong"};
  for (char32_t c : std::u32string(U"令狐冲任我行")) ck.chars.push_back(c);
  std::sort(ck.chars.begin(), ck.chars.end());
  ck.config = ModelConfig{1 + 1 + 6, 4, 5, 1, 0.1};
  ck.params = init_params(ck.config, 3);
  ck.adam_m.assign(ck.params.size(), 0.25f);
  ck.adam_v.assign(ck.params.size(), 0.5f);
  ck.state.step = 12;
  ck.train_names = {{U"令狐冲", U"任我行"}};
  ck.val_names = {{U"冲"}};
  return ck;
}

using test::error_of;

std::string inference_error(const std::string& path) {
  return error_of([&] { load_checkpoint_for_inference(path); });
}
std::string resume_error(const std::string& path) {
  return error_of([&] { load_checkpoint(path); });
}

// Where tensor `name` lies in the file's bytes.
std::pair<std::size_t, std::size_t> tensor_span(const std::string& bytes, const std::string& name) {
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  const auto header = nlohmann::json::parse(bytes.substr(8, n));
  const auto off = header.at(name).at("data_offsets");
  return {8 + n + off[0].get<std::size_t>(), 8 + n + off[1].get<std::size_t>()};
}

std::string flip_in(std::string bytes, std::size_t at) {
  bytes[at] = static_cast<char>(bytes[at] ^ 0x04);
  return bytes;
}

class Reading : public ::testing::Test {
 protected:
  void SetUp() override {
    save_checkpoint(dir_.file("a.safetensors"), ck_);
    bytes_ = test::read_file(dir_.file("a.safetensors"));
  }
  std::string write(const std::string& name, const std::string& bytes) {
    test::write_file(dir_.file(name), bytes);
    return dir_.file(name);
  }
  test::TempDir dir_;
  Checkpoint ck_ = small_checkpoint();
  std::string bytes_;
};

TEST(Crc32c, MatchesTheStandardCheckValue) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  // Continuing over pieces (as the checksums do over data, then header) is the same as one pass, at any split.
  const std::string s = "the quick brown fox jumps over the lazy dog, 令狐冲";
  for (std::size_t cut = 0; cut <= s.size(); ++cut) {
    EXPECT_EQ(crc32c(s.data() + cut, s.size() - cut, crc32c(s.data(), cut)), crc32c(s.data(), s.size())) << cut;
  }
}

TEST_F(Reading, InferenceReadsTheParametersAndMetadataWithoutTheMoments) {
  const Checkpoint back = load_checkpoint_for_inference(dir_.file("a.safetensors"));
  EXPECT_TRUE(test::bit_equal(back.params, ck_.params));
  EXPECT_TRUE(back.adam_m.empty());
  EXPECT_TRUE(back.adam_v.empty());
  EXPECT_EQ(back.chars, ck_.chars);
  EXPECT_EQ(back.train_names, ck_.train_names);
  EXPECT_EQ(back.state.step, 12);
  EXPECT_EQ(back.checksum.rfind("crc32c:", 0), 0u) << back.checksum;
  EXPECT_TRUE(load_checkpoint_for_inference(dir_.file("a.safetensors"), false).train_names.empty());
}

TEST_F(Reading, InferenceRefusesAFlippedBitInEveryParameterTensor) {
  for (const char* name : {"embedding.weight", "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0",
                           "lstm.bias_hh_l0", "fc.weight", "fc.bias"}) {
    const auto [begin, end] = tensor_span(bytes_, name);
    const std::string path = write("p.safetensors", flip_in(bytes_, (begin + end) / 2));
    const std::string err = inference_error(path);
    EXPECT_NE(err.find(path + ": checksum mismatch"), std::string::npos) << name << ": " << err;
  }
}

TEST_F(Reading, InferenceRefusesAFlippedBitInTheHeader) {
  // step 12 -> 13: valid JSON, a plausible state, not what was written.
  std::string bad = bytes_;
  const auto at = bad.find("\\\"step\\\":12");
  ASSERT_NE(at, std::string::npos);
  bad[at + 9] = '3';
  const std::string path = write("h.safetensors", bad);
  EXPECT_NE(inference_error(path).find("checksum mismatch"), std::string::npos) << inference_error(path);
  // The whole-file checksum's value is header too (a fine-tune records it as its base's).
  const auto value = bad.find("crc32c:") + 8;
  const std::string path2 = write("h2.safetensors", flip_in(bytes_, value));
  EXPECT_NE(inference_error(path2).find("checksum mismatch"), std::string::npos) << inference_error(path2);
}

TEST_F(Reading, AFlippedMomentBitIsRefusedByResumeNotReadByInference) {
  const auto [begin, end] = tensor_span(bytes_, "optim.m.lstm.weight_hh_l0");
  const std::string path = write("m.safetensors", flip_in(bytes_, (begin + end) / 2));
  EXPECT_NE(resume_error(path).find(path + ": checksum mismatch"), std::string::npos) << resume_error(path);
  // Inference never reads the moments: the parameters it reads are intact and checked.
  const Checkpoint back = load_checkpoint_for_inference(path);
  EXPECT_TRUE(test::bit_equal(back.params, ck_.params));
}

TEST_F(Reading, ThousandRandomBitFlipsNeverGiveInferenceWrongParameters) {
  int refused = 0, intact = 0;
  for (uint64_t i = 0; i < 1000; ++i) {
    const uint64_t bit = rng::below(bytes_.size() * 8, 2025, rng::kShuffle, 0, i);
    std::string bad = bytes_;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    const std::string path = write("r.safetensors", bad);
    try {
      const Checkpoint back = load_checkpoint_for_inference(path);
      // Loaded: only a moment byte may have been hit, and what it returns is what was written.
      EXPECT_TRUE(test::bit_equal(back.params, ck_.params)) << "bit " << bit;
      EXPECT_GE(bit / 8, tensor_span(bytes_, "optim.m.embedding.weight").first) << "bit " << bit;
      ++intact;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path + ": "), std::string::npos) << e.what();
      ++refused;
    }
  }
  EXPECT_EQ(refused + intact, 1000);
  EXPECT_GT(refused, 0);
}

TEST_F(Reading, PeekReadsTheMetadataAloneFromTheHeader) {
  const Checkpoint p = peek_checkpoint(dir_.file("a.safetensors"));
  EXPECT_EQ(p.state.step, 12);
  EXPECT_EQ(p.chars, ck_.chars);
  EXPECT_TRUE(p.params.empty());
  EXPECT_TRUE(p.train_names.empty());
  // The data is not read: damage there is for the loaders to find.
  const auto [begin, end] = tensor_span(bytes_, "fc.weight");
  (void)end;
  EXPECT_EQ(peek_checkpoint(write("d.safetensors", flip_in(bytes_, begin))).state.step, 12);
}

// tests/golden/v1_crc32.safetensors: written by 2a2642c (a CRC-32 "checksum",
// no prefix checksum): `wuxia train --from-scratch --data wuxia=NAMES --val
// VAL --steps 2 --embed 3 --hidden 4 --layers 1` on five Jin Yong names.
TEST(ReadingOldFiles, CheckpointsWrittenBeforeCrc32cStillLoadAndAreCheckedWhole) {
  const std::string golden = std::string(WUXIA_TEST_DIR) + "/golden/v1_crc32.safetensors";
  const Checkpoint whole = load_checkpoint(golden);
  EXPECT_EQ(whole.checksum.rfind("crc32:", 0), 0u) << whole.checksum;
  EXPECT_EQ(whole.state.step, 2);
  EXPECT_FALSE(whole.adam_m.empty());
  const Checkpoint inf = load_checkpoint_for_inference(golden);
  EXPECT_TRUE(test::bit_equal(inf.params, whole.params));
  EXPECT_TRUE(inf.adam_m.empty());

  test::TempDir dir;
  const std::string bytes = test::read_file(golden);
  for (const char* name : {"fc.weight", "optim.v.fc.weight"}) {
    const auto [begin, end] = tensor_span(bytes, name);
    test::write_file(dir.file("b.safetensors"), flip_in(bytes, (begin + end) / 2));
    EXPECT_NE(inference_error(dir.file("b.safetensors")).find("checksum mismatch"), std::string::npos) << name;
    EXPECT_NE(resume_error(dir.file("b.safetensors")).find("checksum mismatch"), std::string::npos) << name;
  }
}

TEST_F(Reading, AHeaderLongerThanTheFileIsRefusedBeforeItIsRead) {
  std::string bad = bytes_;
  bad[5] = 0x10;  // a header of about a terabyte
  const std::string path = write("l.safetensors", bad);
  for (const std::string& err : {inference_error(path), resume_error(path), error_of([&] { peek_checkpoint(path); })}) {
    EXPECT_NE(err.find(path + ": header length "), std::string::npos) << err;
    EXPECT_NE(err.find("exceeds the file (" + std::to_string(bad.size()) + " bytes)"), std::string::npos) << err;
  }
}

TEST_F(Reading, DevZeroAFifoAndAFolderAreRefusedAtOnceNamingThem) {
  for (const std::string& err : {inference_error("/dev/zero"), resume_error("/dev/zero")}) {
    EXPECT_NE(err.find("/dev/zero: not a regular file"), std::string::npos) << err;
  }
  const std::string fifo = dir_.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Through the program, under a time limit: a reader that waits for a writer would hang here.
  for (const std::string& file : {fifo, std::string("/dev/zero")}) {
    const auto r = test::run_command("timeout 20 " + std::string(WUXIA_BINARY) + " sample -n 1 --checkpoint " + file);
    EXPECT_EQ(r.code, 1) << file << ": " << r.out;
    EXPECT_NE(r.out.find(file + ": not a regular file"), std::string::npos) << r.out;
  }
  EXPECT_NE(inference_error(dir_.path().string()).find("is a directory"), std::string::npos);
}

}  // namespace

namespace {

// The default route reads only an existing base's header: its step (enough:
// no pretraining) and its vocabulary, against which the data's coverage is
// then measured instead of the 266k names of the corpora. A base whose
// vocabulary holds three characters covers little of the Jin Yong cast,
// whose characters the corpora hold nearly all.
TEST(DefaultRoute, ChecksCoverageAgainstAnExistingBasesVocabulary) {
  test::TempDir dir;
  test::write_file(dir.file("three.txt"), "令狐冲\n冲令狐\n狐冲令\n令冲\n");
  test::write_file(dir.file("val.txt"), "狐令\n");
  const std::string base = dir.file("base");
  const auto made = test::run_wuxia("train --from-scratch --data " + dir.file("three.txt") + " --val " +
                                    dir.file("val.txt") + " --steps 2 --hidden 4 --embed 2 --device cpu --out " + base);
  ASSERT_EQ(made.code, 0) << made.out;
  const auto r = test::run_wuxia("train --base-dir " + base + " --base-steps 2 --steps 1 --device cpu --out " +
                                 dir.file("o") + " --data " + std::string(WUXIA_DATA_DIR) + "/jinyong.txt");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("occur in the base model " + base + "/last.safetensors's vocabulary"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("pretraining"), std::string::npos) << r.out;
}

}  // namespace
