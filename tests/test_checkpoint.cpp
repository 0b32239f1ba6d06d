#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "test_util.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/model/rng.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/checkpoint.hpp"

using namespace wuxia;

namespace {

Checkpoint small_checkpoint() {
  Checkpoint ck;
  ck.styles = {"jinyong", "gulong"};
  for (char32_t c : std::u32string(U"令狐冲任我行")) ck.chars.push_back(c);
  std::sort(ck.chars.begin(), ck.chars.end());
  ck.config = ModelConfig{1 + 2 + 6, 4, 5, 2, 0.1};
  ck.params = init_params(ck.config, 3);
  ck.adam_m.assign(ck.params.size(), 0.25f);
  ck.adam_v.assign(ck.params.size(), 0.5f);
  ck.settings.seed = 18446744073709551615ull;  // survives JSON as a string
  ck.settings.decay_steps = 77;
  ck.settings.warmup = 7;
  ck.state.step = 12;
  ck.state.epoch = 2;
  ck.state.best_val_loss = 3.5;
  ck.state.best_step = 10;
  ck.train_names = {{U"令狐冲", U"任我行"}, {U"令狐"}};
  ck.val_names = {{U"冲"}, {}};
  return ck;
}

std::string load_error(const std::string& path) {
  try {
    load_checkpoint(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "(loaded without error)";
}

uint64_t header_len(const std::string& bytes) {
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  return n;
}

// Replaces the first occurrence of `from` in the header with `to` (same length).
std::string edit_header(std::string bytes, const std::string& from, const std::string& to) {
  const auto at = bytes.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  EXPECT_LT(at, 8 + header_len(bytes));
  EXPECT_EQ(from.size(), to.size());
  bytes.replace(at, from.size(), to);
  return bytes;
}

}  // namespace

TEST(Checkpoint, RoundTripKeepsEverything) {
  test::TempDir dir;
  const Checkpoint ck = small_checkpoint();
  save_checkpoint(dir.file("a.safetensors"), ck);
  const Checkpoint back = load_checkpoint(dir.file("a.safetensors"));
  EXPECT_EQ(back.params, ck.params);
  EXPECT_EQ(back.adam_m, ck.adam_m);
  EXPECT_EQ(back.adam_v, ck.adam_v);
  EXPECT_EQ(back.styles, ck.styles);
  EXPECT_EQ(back.chars, ck.chars);
  EXPECT_EQ(back.config.hidden, 5);
  EXPECT_EQ(back.config.dropout, 0.1);
  EXPECT_EQ(back.settings.seed, ck.settings.seed);
  EXPECT_EQ(back.settings.decay_steps, 77);
  EXPECT_EQ(back.state.step, 12);
  EXPECT_EQ(back.state.best_val_loss, 3.5);
  EXPECT_EQ(back.train_names, ck.train_names);
  EXPECT_EQ(back.val_names, ck.val_names);
}

TEST(Checkpoint, UsesPyTorchNamesAndSafetensorsLayout) {
  test::TempDir dir;
  save_checkpoint(dir.file("a.safetensors"), small_checkpoint());
  const std::string bytes = test::read_file(dir.file("a.safetensors"));
  const uint64_t n = header_len(bytes);
  EXPECT_EQ((8 + n) % 8, 0u);
  const auto header = nlohmann::json::parse(bytes.substr(8, n));
  for (const char* name : {"embedding.weight", "lstm.weight_ih_l0", "lstm.weight_hh_l1", "lstm.bias_ih_l1",
                           "lstm.bias_hh_l0", "fc.weight", "fc.bias", "optim.m.fc.bias", "optim.v.embedding.weight"}) {
    ASSERT_TRUE(header.contains(name)) << name;
    EXPECT_EQ(header[name]["dtype"], "F32");
  }
  EXPECT_EQ(header["lstm.weight_ih_l1"]["shape"], nlohmann::json({20, 5}));
  EXPECT_EQ(header["embedding.weight"]["shape"], nlohmann::json({9, 4}));
}

// --balance-patience's state, a style at a time (a style not yet judged has
// no best: null), and the two settings that go with it.
TEST(Checkpoint, BalancePatienceStateRoundTripsAndMustCountTheStyles) {
  test::TempDir dir;
  Checkpoint ck = small_checkpoint();
  ck.settings.balance_styles = true;
  ck.settings.balance_patience = 3;
  ck.settings.keep_last = true;
  ck.state.styles.resize(2);
  ck.state.styles[1] = {4.25, 2, false};
  save_checkpoint(dir.file("a.safetensors"), ck);
  const Checkpoint back = load_checkpoint(dir.file("a.safetensors"));
  EXPECT_EQ(back.settings.balance_patience, 3);
  EXPECT_TRUE(back.settings.keep_last);
  ASSERT_EQ(back.state.styles.size(), 2u);
  EXPECT_TRUE(std::isinf(back.state.styles[0].best_val_loss));
  EXPECT_TRUE(back.state.styles[0].repeated);
  EXPECT_EQ(back.state.styles[1].best_val_loss, 4.25);
  EXPECT_EQ(back.state.styles[1].evals_since_best, 2);
  EXPECT_FALSE(back.state.styles[1].repeated);
  ck.state.styles.resize(3);
  save_checkpoint(dir.file("b.safetensors"), ck);
  EXPECT_NE(load_error(dir.file("b.safetensors")).find("state.styles has 3 entries for 2 styles"), std::string::npos);
  ck.state.styles.resize(2);
  ck.settings.balance_styles = false;
  save_checkpoint(dir.file("d.safetensors"), ck);
  EXPECT_NE(load_error(dir.file("d.safetensors")).find("settings.balance_patience is on without balance_styles"),
            std::string::npos);
  Checkpoint off = small_checkpoint();
  save_checkpoint(dir.file("c.safetensors"), off);
  EXPECT_NE(test::read_file(dir.file("a.safetensors")).find("repeated"), std::string::npos);
  EXPECT_EQ(test::read_file(dir.file("c.safetensors")).find("repeated"), std::string::npos)
      << "off, the state has no styles entry: a run without the setting writes the bytes it wrote before";
}

TEST(Checkpoint, NaNInfinityBestLossRoundTripsAsNoValue) {
  test::TempDir dir;
  Checkpoint ck = small_checkpoint();
  ck.state.best_val_loss = std::numeric_limits<double>::infinity();
  save_checkpoint(dir.file("a.safetensors"), ck);
  EXPECT_TRUE(std::isinf(load_checkpoint(dir.file("a.safetensors")).state.best_val_loss));
}

TEST(Checkpoint, EveryTruncationIsAClearError) {
  test::TempDir dir;
  save_checkpoint(dir.file("a.safetensors"), small_checkpoint());
  const std::string bytes = test::read_file(dir.file("a.safetensors"));
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    test::write_file(dir.file("t.safetensors"), bytes.substr(0, len));
    const std::string err = load_error(dir.file("t.safetensors"));
    EXPECT_NE(err.find("t.safetensors: "), std::string::npos) << "length " << len << ": " << err;
    EXPECT_EQ(err.find("loaded without error"), std::string::npos) << "length " << len;
  }
}

TEST(Checkpoint, FlippedDataByteFailsTheChecksum) {
  test::TempDir dir;
  save_checkpoint(dir.file("a.safetensors"), small_checkpoint());
  std::string bytes = test::read_file(dir.file("a.safetensors"));
  bytes[bytes.size() - 5] ^= 0x10;
  test::write_file(dir.file("b.safetensors"), bytes);
  EXPECT_NE(load_error(dir.file("b.safetensors")).find("checksum mismatch"), std::string::npos);
}

TEST(Checkpoint, ThousandRandomBitFlipsAreAllCaught) {
  test::TempDir dir;
  save_checkpoint(dir.file("a.safetensors"), small_checkpoint());
  const std::string bytes = test::read_file(dir.file("a.safetensors"));
  int caught = 0;
  for (uint64_t i = 0; i < 1000; ++i) {
    const uint64_t bit = rng::below(bytes.size() * 8, 2024, rng::kShuffle, 0, i);
    std::string bad = bytes;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    test::write_file(dir.file("b.safetensors"), bad);
    const std::string err = load_error(dir.file("b.safetensors"));
    EXPECT_EQ(err.find("loaded without error"), std::string::npos) << "bit " << bit << " of " << bytes.size() * 8;
    caught += err.find("b.safetensors: ") != std::string::npos;
  }
  EXPECT_EQ(caught, 1000);
}

TEST(Checkpoint, FlippedHeaderValueFailsTheChecksum) {
  test::TempDir dir;
  save_checkpoint(dir.file("a.safetensors"), small_checkpoint());
  // step 12 -> 13: still valid JSON and a plausible state, but not what was written.
  const std::string bytes =
      edit_header(test::read_file(dir.file("a.safetensors")), "\\\"step\\\":12", "\\\"step\\\":13");
  test::write_file(dir.file("b.safetensors"), bytes);
  EXPECT_NE(load_error(dir.file("b.safetensors")).find("checksum mismatch"), std::string::npos);
}

TEST(Checkpoint, DamagedHeaderJsonIsNamed) {
  test::TempDir dir;
  save_checkpoint(dir.file("a.safetensors"), small_checkpoint());
  std::string bytes = test::read_file(dir.file("a.safetensors"));
  bytes[8] = '!';  // the opening brace
  test::write_file(dir.file("b.safetensors"), bytes);
  EXPECT_NE(load_error(dir.file("b.safetensors")).find("header is not valid JSON"), std::string::npos);
}

TEST(Checkpoint, HeaderLengthPastTheFileIsNamed) {
  test::TempDir dir;
  save_checkpoint(dir.file("a.safetensors"), small_checkpoint());
  std::string bytes = test::read_file(dir.file("a.safetensors"));
  bytes[6] = 1;
  test::write_file(dir.file("b.safetensors"), bytes);
  EXPECT_NE(load_error(dir.file("b.safetensors")).find("exceeds the file"), std::string::npos);
}

TEST(Checkpoint, WrongDtypeIsNamed) {
  test::TempDir dir;
  save_checkpoint(dir.file("a.safetensors"), small_checkpoint());
  const std::string bytes = edit_header(test::read_file(dir.file("a.safetensors")), "\"F32\"", "\"F16\"");
  test::write_file(dir.file("b.safetensors"), bytes);
  EXPECT_NE(load_error(dir.file("b.safetensors")).find("has dtype F16, expected F32"), std::string::npos);
}

TEST(Checkpoint, WrongShapeIsNamed) {
  test::TempDir dir;
  save_checkpoint(dir.file("a.safetensors"), small_checkpoint());
  const std::string bytes =
      edit_header(test::read_file(dir.file("a.safetensors")), "\"shape\":[9,4]", "\"shape\":[4,9]");
  test::write_file(dir.file("b.safetensors"), bytes);
  EXPECT_NE(load_error(dir.file("b.safetensors")).find("'embedding.weight' has shape [4,9], config expects [9,4]"),
            std::string::npos);
}

TEST(Checkpoint, ConfigThatDisagreesWithTheVocabularyIsNamed) {
  test::TempDir dir;
  save_checkpoint(dir.file("a.safetensors"), small_checkpoint());
  const std::string bytes =
      edit_header(test::read_file(dir.file("a.safetensors")), "\\\"vocab\\\":9", "\\\"vocab\\\":8");
  test::write_file(dir.file("b.safetensors"), bytes);
  EXPECT_NE(load_error(dir.file("b.safetensors")).find("config.vocab is 8"), std::string::npos);
}

TEST(Checkpoint, NotACheckpointAndMissingFileAreNamed) {
  test::TempDir dir;
  test::write_file(dir.file("names.txt"), "令狐冲\n任我行\n");
  EXPECT_NE(load_error(dir.file("names.txt")).find("names.txt: "), std::string::npos);
  EXPECT_NE(load_error(dir.file("missing.safetensors")).find("cannot open"), std::string::npos);
}

TEST(Checkpoint, FailedWriteLeavesThePreviousFileIntact) {
  test::TempDir dir;
  const Checkpoint ck = small_checkpoint();
  save_checkpoint(dir.file("a.safetensors"), ck);
  const std::string before = test::read_file(dir.file("a.safetensors"));
  Checkpoint bad = ck;
  bad.params.pop_back();  // rejected before anything is written
  EXPECT_THROW(save_checkpoint(dir.file("a.safetensors"), bad), Error);
  EXPECT_THROW(save_checkpoint(dir.file("no/such/dir/a.safetensors"), ck), Error);
  EXPECT_EQ(test::read_file(dir.file("a.safetensors")), before);
  int files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1) << "a temporary file was left behind";
}

TEST(Checkpoint, Crc32MatchesTheStandardCheckValue) { EXPECT_EQ(crc32("123456789", 9), 0xCBF43926u); }
