// How real names end (include/wuxia/naming/endings.hpp); the sampler's use
// of it is in test_sampler.cpp, the command's in test_cli.cpp.
#include <gtest/gtest.h>

#include <string>

#include "wuxia/naming/endings.hpp"

using namespace wuxia;

namespace {

// `n` names holding c: `ends` of them end with it (张<c>), the rest hold it
// in the middle (张<c>明).
void add_names(Endings& e, char32_t c, int n, int ends) {
  for (int i = 0; i < n; ++i) e.add(i < ends ? std::u32string{U'张', c} : std::u32string{U'张', c, U'明'});
}

}  // namespace

TEST(Endings, ACharacterManyNamesHoldButFewEndIsRare) {
  Endings e;
  add_names(e, U'小', 100, 4);   // 4%: rare
  add_names(e, U'之', 100, 60);  // ends most of its names
  add_names(e, U'自', 29, 0);    // never ends one, but seen too seldom to say
  add_names(e, U'尘', 100, 5);   // 5%: at the bound, not under it
  const auto rare = e.rare({}, {});
  EXPECT_TRUE(rare.count(U'小'));
  EXPECT_FALSE(rare.count(U'之'));
  EXPECT_FALSE(rare.count(U'自')) << "fewer than kMinSeen names say too little";
  EXPECT_FALSE(rare.count(U'尘'));
  EXPECT_TRUE(rare.count(U'张')) << "a surname that never ends a name is a rare ending (文何, 魏沈)";
  EXPECT_FALSE(rare.count(U'明'));
}

TEST(Endings, AnEndingOfTheModelsOwnNamesIsNeverRare) {
  Endings e;
  add_names(e, U'小', 100, 0);
  add_names(e, U'朱', 100, 0);
  const Endings::NameLists train{{}, {U"宫小"}}, val{{U"阿朱"}};
  const auto rare = e.rare(train, val);
  EXPECT_FALSE(rare.count(U'小')) << "a training name of any style ends so";
  EXPECT_FALSE(rare.count(U'朱')) << "a validation name ends so";
  EXPECT_TRUE(rare.count(U'张'));
}

TEST(Endings, TheBundledNamesMarkNamesCutShortAndSurnamesAsRareEndings) {
  const auto rare = Endings::load_bundled().rare({}, {});
  for (char32_t c : std::u32string(U"小自不何沈陆")) EXPECT_TRUE(rare.count(c)) << static_cast<uint32_t>(c);
  for (char32_t c : std::u32string(U"之林峰明英")) EXPECT_FALSE(rare.count(c)) << static_cast<uint32_t>(c);
  EXPECT_LT(rare.size(), 300u) << "a few surnames and particles, not a share of the 5,000 characters";
}
