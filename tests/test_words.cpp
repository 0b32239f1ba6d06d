// data/words.tsv and its loader (include/wuxia/naming/words.hpp); the
// sampler's use of it is in test_sampler.cpp.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "test_util.hpp"
#include "wuxia/naming/words.hpp"
#include "wuxia/platform/error.hpp"

using namespace wuxia;

TEST(Words, TheBundledListHoldsCommonWordsAndTheNamesEveryoneKnows) {
  const Words w = Words::load(std::string(WUXIA_DATA_DIR) + "/words.tsv");
  EXPECT_GT(w.size(), 30000u);
  EXPECT_TRUE(w.contains(U"海岛"));
  EXPECT_TRUE(w.contains(U"东西"));
  EXPECT_TRUE(w.contains(U"白发")) << "a word jieba tags as a person's name (nr): kept";
  EXPECT_TRUE(w.contains(U"朱元璋")) << "a person everyone knows is no new name";
  EXPECT_FALSE(w.contains(U"石双英")) << "a cast name jieba saw 89 times, under the threshold of 100";
  EXPECT_FALSE(w.contains(U"海")) << "one character: a bare surname, which --min-len keeps out";
}

TEST(Words, TheBundledSetAddsEverySurnameAlone) {
  const Words w = Words::load_bundled();
  EXPECT_TRUE(w.contains(U"慕容"));
  EXPECT_TRUE(w.contains(U"欧阳"));
  EXPECT_TRUE(w.contains(U"李")) << "one character: --min-len keeps it out of a cast's list, the set refuses it anyway";
  EXPECT_TRUE(w.contains(U"海岛"));
  EXPECT_FALSE(w.contains(U"欧阳一鹤")) << "a surname with a given name is not the surname alone";
}

TEST(Words, BadRowsAreRefusedWithFileAndLine) {
  auto error = [](const std::string& text) { return test::error_of([&] { Words::parse(text, "w.tsv"); }); };
  EXPECT_NE(error("# FORMAT: x\n海岛\t313\tns\n海岛\t2\tn\n").find("w.tsv:3: word '海岛' is listed twice"),
            std::string::npos);
  EXPECT_NE(error("海\t3\tn\n").find("w.tsv:1: word '海': 2 to 4 characters"), std::string::npos);
  EXPECT_NE(error("海岛x\t3\tn\n").find("w.tsv:1: word '海岛x': 'x' is not a CJK character"), std::string::npos);
  EXPECT_NE(error("海岛\tmany\tn\n").find("w.tsv:1: word '海岛': frequency 'many' is not a count"), std::string::npos);
  EXPECT_NE(error("海岛\t3\n").find("w.tsv:1: "), std::string::npos) << "a column missing";
  EXPECT_NE(error("# FORMAT: x\n").find("w.tsv: no words"), std::string::npos);
}

// The file is remade byte for byte from jieba's source archive where one is
// at hand (it is not downloaded by the tests).
TEST(Words, ScriptRedoesTheFileByteForByte) {
  const char* env = std::getenv("WUXIA_JIEBA_SDIST");
  const std::string sdist = env && *env ? env : "/tmp/jieba/jieba-0.42.1.tar.gz";
  if (!std::filesystem::exists(sdist))
    GTEST_SKIP() << "no jieba archive at " << sdist
                 << " (pip download --no-deps jieba==0.42.1 -d /tmp/jieba, or set WUXIA_JIEBA_SDIST)";
  if (test::run_command("command -v python3").code != 0) GTEST_SKIP() << "python3 not installed";
  const std::string script = std::string(WUXIA_TEST_DIR) + "/../scripts/make_words.py";
  const auto r = test::run_command("python3 " + script + " --check --sdist " + sdist + " --out " + WUXIA_DATA_DIR);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("words.tsv: same"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("words.LICENSE: same"), std::string::npos) << r.out;
}
