// Issue 27 (items 2, 6, 7): no title as a given name (data/titles.tsv), a
// classic's line credited only where it holds the name as a word or facing in
// a couplet, the 破斧 erratum, and namesakes of the bundled lists.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "naming_test_util.hpp"
#include "test_util.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/infer/scoring.hpp"
#include "wuxia/naming/explain.hpp"
#include "wuxia/naming/name_search.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/checkpoint.hpp"
#include "wuxia/train/trainer.hpp"

using namespace wuxia;
using test::error_of;

namespace {

const NamingData& bundled() { return test::bundled_naming(); }

std::string titles_error(const std::string& rows) {
  return error_of([&] { Titles::parse("# SOURCE: test\n" + rows, "t.tsv"); });
}

// The titles of issue 27's report, as the given names the search proposed.
const std::vector<std::u32string> kReported = {U"和尚", U"先生", U"居士", U"道人", U"法师",
                                               U"国公", U"武帝", U"明帝", U"郡王", U"氏女"};

}  // namespace

// ---- data/titles.tsv -----------------------------------------------------------

TEST(Titles, ParserNamesTheFileAndLineOfABadRow) {
  EXPECT_EQ(titles_error("和尚\treligion: monk\n帝王将\tx\n"),
            "t.tsv:3: pattern '帝王将': one or two characters (帝, 和尚, *帝, 氏*)");
  EXPECT_EQ(titles_error("*\tx\n"), "t.tsv:2: pattern '*': a '*' needs a character beside it (*帝)");
  EXPECT_EQ(titles_error("**\tx\n"), "t.tsv:2: pattern '**': at most one '*'");
  EXPECT_EQ(titles_error("ab\tx\n"), "t.tsv:2: pattern 'ab': 'a' is not a CJK character");
  EXPECT_EQ(titles_error("和尚\tx\n和尚\ty\n"), "t.tsv:3: pattern '和尚' is listed twice (first at line 2)");
  EXPECT_EQ(titles_error("*帝\tx\n武帝\ty\n"), "t.tsv:3: pattern '武帝' is already matched by '*帝' (line 2)");
  EXPECT_EQ(titles_error("氏*\tx\n氏女\ty\n"), "t.tsv:3: pattern '氏女' is already matched by '氏*' (line 2)");
  EXPECT_EQ(titles_error("和尚\n"), "t.tsv:2: 1 field(s), expected 2 separated by TAB");
  EXPECT_EQ(titles_error("和尚\t\n"), "t.tsv:2: field 2 is empty");
  EXPECT_EQ(titles_error(""), "t.tsv: no titles");
}

TEST(Titles, AWordAPatternOrASingleCharacterMatchesOnlyWhatItSays) {
  const Titles t = Titles::parse("帝\ta\n*帝\tb\n氏*\tc\n和尚\td\n", "t.tsv");
  EXPECT_EQ(t.size(), 4u);
  EXPECT_EQ(*t.reason(U"帝"), "a");
  EXPECT_EQ(*t.reason(U"明帝"), "b");
  EXPECT_EQ(*t.reason(U"氏女"), "c");
  EXPECT_EQ(*t.reason(U"和尚"), "d");
  EXPECT_EQ(*t.reason(U"三丰和尚"), "d") << "a longer given name: its last two characters";
  EXPECT_EQ(t.reason(U"帝明"), nullptr);
  EXPECT_EQ(t.reason(U"女氏"), nullptr);
  EXPECT_EQ(t.reason(U"和"), nullptr);
  EXPECT_EQ(t.reason(U"尚和"), nullptr);
  EXPECT_EQ(t.reason(U""), nullptr);
}

TEST(Titles, BundledListHasEveryReportedTitleWithItsReason) {
  const Titles& t = bundled().titles;
  EXPECT_GE(t.size(), 100u);
  for (const auto& g : kReported) {
    const std::string* why = t.reason(g);
    ASSERT_NE(why, nullptr) << utf8::encode(g);
    EXPECT_NE(why->find(": "), std::string::npos) << utf8::encode(g) << ": " << *why;  // 'kind: meaning'
  }
  for (const char32_t* g : {U"帝", U"后", U"公", U"氏", U"哥哥", U"皇后", U"贵妃", U"将军", U"师太", U"张氏"}) {
    EXPECT_NE(t.reason(g), nullptr) << utf8::encode(std::u32string(g));
  }
  // Names, not titles: 王 and 子 inside a two-character name, 君 and 卿 as its last character.
  for (const char32_t* g : {U"子衿", U"思齐", U"文君", U"长卿", U"王孙", U"建国", U"美", U"明", U"宾王"}) {
    EXPECT_EQ(t.reason(g), nullptr) << utf8::encode(std::u32string(g));
  }
}

TEST(Titles, BundledFileSaysWhatItIsAndHowManyItHolds) {
  const std::string text = test::read_file(std::string(WUXIA_DATA_DIR) + "/titles.tsv");
  EXPECT_EQ(text.rfind("# SOURCE: hand-written", 0), 0u);
  for (const char* key : {"\n# LICENSE: ", "\n# MADE: ", "\n# FORMAT: "})
    EXPECT_NE(text.find(key), std::string::npos) << key;
  EXPECT_NE(text.find("# MADE: " + std::to_string(bundled().titles.size()) + " entries"), std::string::npos)
      << "the MADE line's count is the file's";
}

TEST(Titles, NamingDataRefusesATitleCharacterTheTableLacks) {
  test::TempDir dir;
  for (const char* f : {"hanzi.tsv", "surnames.tsv", "classics.tsv", "ill_omened.txt", "sounds_like.tsv"}) {
    test::write_file(dir.file(f), test::read_file(std::string(WUXIA_DATA_DIR) + "/" + f));
  }
  test::write_file(dir.file("titles.tsv"), "# SOURCE: test\n\xF0\xA0\x80\x80*\tx\n");  // U+20000, not in hanzi.tsv
  const std::string e = error_of([&] { NamingData::load(dir.file("")); });
  EXPECT_NE(e.find("titles.tsv: '\xF0\xA0\x80\x80' is not in"), std::string::npos) << e;
  std::remove(dir.file("titles.tsv").c_str());
  EXPECT_NE(error_of([&] { NamingData::load(dir.file("")); }).find("titles.tsv: cannot open"), std::string::npos);
}

TEST(Explain, FlagsAGivenNameThatIsATitle) {
  const Explanation e = explain_name(bundled(), U"诸葛先生");
  EXPECT_EQ(e.given, U"先生");
  ASSERT_TRUE(e.title);
  EXPECT_EQ(*e.title, *bundled().titles.reason(U"先生"));
  EXPECT_EQ(to_json(e)["title"], *e.title);
  EXPECT_TRUE(explain_name(bundled(), U"单明帝").title);
  EXPECT_TRUE(explain_name(bundled(), U"单氏女").title);
  EXPECT_TRUE(explain_name(bundled(), U"张帝").title) << "帝 alone";
  EXPECT_FALSE(explain_name(bundled(), U"张子衿").title);
  EXPECT_TRUE(to_json(explain_name(bundled(), U"张子衿"))["title"].is_null());
}

// ---- the search never proposes a title ---------------------------------------------

namespace {

// A small model trained on 李XY and 王XY for every pair of the reported
// titles' characters and a few others, so that a search without the titles
// mask would propose 单先生, 单明帝, 单氏女 (it never saw 单's names, so
// all are new). 单雄信 brings 单 into the vocabulary.
class TitleModel : public test::TinyNamingSuite<TitleModel> {
 public:
  static std::string names() { return "单雄信\n" + test::pair_names(U"李王", kChars); }
  static constexpr uint64_t kSeed = 5;
  static constexpr int kSteps = 200;

 protected:
  static constexpr const char32_t* kChars = U"和尚先生居士道人法师国公郡王武帝明氏女丽美芳英伟婷淑贞心";
  static std::vector<NameProposal> propose(const NameRequest& q, NameSearchStats* stats = nullptr,
                                           const NamingData& d = bundled()) {
    return propose_names(*model_, ck_->vocab(), KnownNames{&ck_->train_names, &ck_->val_names}, d, q, stats);
  }
  static NameRequest request(int n) {
    NameRequest q;
    q.surname = U"单";
    q.n = n;
    q.level = 3;
    return q;
  }
};

}  // namespace

TEST_F(TitleModel, NeverProposesAReportedTitleYetFillsTheList) {
  NameSearchStats stats;
  const auto names = propose(request(60), &stats);
  ASSERT_EQ(names.size(), 60u);
  for (const auto& p : names) {
    EXPECT_EQ(bundled().titles.reason(p.explanation.given), nullptr) << utf8::encode(p.explanation.name);
    EXPECT_FALSE(p.explanation.title);
  }
  EXPECT_GT(stats.titles, 0);
  // The model does like them: without the mask they would be there.
  std::vector<std::u32string> titled;
  for (const auto& g : kReported) titled.push_back(U"单" + g);
  const auto ll = log_likelihoods(*model_, ck_->vocab(), titled, 0);
  EXPECT_GT(*std::max_element(ll.begin(), ll.end()), names.back().log_likelihood);
}

TEST_F(TitleModel, AOneCharacterGivenNameIsNeverATitleAlone) {
  NameRequest q = request(20);
  q.given_len = 1;
  NameSearchStats stats;
  const auto names = propose(q, &stats);
  ASSERT_FALSE(names.empty());
  for (const auto& p : names) {
    EXPECT_EQ(bundled().titles.single(p.explanation.given[0]), nullptr) << utf8::encode(p.explanation.name);
  }
  EXPECT_GT(stats.titles, 0) << "帝, 公, 女, 氏, 王 and 师 are in the model's characters";
  q.with = U'帝';
  EXPECT_NE(error_of([&] { propose(q); }).find("--with 帝: a title as a one-character given name"), std::string::npos);
}

// ---- namesakes ---------------------------------------------------------------------

TEST(Namesakes, ExplainNamesTheListsHoldingThePerson) {
  const Explanation guo = explain_name(bundled(), U"郭靖");
  EXPECT_EQ(guo.namesake, (std::vector<std::string>{"ancient", "jinyong"}));
  EXPECT_EQ(to_json(guo)["namesake"], (std::vector<std::string>{"ancient", "jinyong"}));
  EXPECT_EQ(explain_name(bundled(), U"李白").namesake, (std::vector<std::string>{"ancient", "poets"}));
  EXPECT_EQ(explain_name(bundled(), U"楚留香").namesake, (std::vector<std::string>{"gulong"}));
  // A modern person is in no bundled list (data/README.md).
  EXPECT_TRUE(explain_name(bundled(), U"张朝阳").namesake.empty());
  EXPECT_TRUE(to_json(explain_name(bundled(), U"张朝阳"))["namesake"].empty());
  // The whole name, not a part of one: 郭 alone and 郭靖之 are nobody.
  EXPECT_TRUE(explain_name(bundled(), U"郭靖之").namesake.empty());
}

TEST(Namesakes, ListsAreReadOnFirstUseAndTheirErrorsNameTheFile) {
  test::TempDir dir;
  test::write_file(dir.file("a.txt"), "# SOURCE: x\n# 书\n张三\n李四");  // no final newline
  test::write_file(dir.file("b.txt"), "王五\r\n");
  const Namesakes missing({{"gone", dir.file("gone.txt")}});  // nothing read yet: no error
  EXPECT_NE(error_of([&] { missing.lists_of(U"张三"); }).find("gone.txt: cannot open"), std::string::npos);
  const Namesakes a({{"a", dir.file("a.txt")}});
  EXPECT_EQ(a.lists_of(U"李四"), (std::vector<std::string>{"a"}));
  EXPECT_TRUE(a.lists_of(U"书").empty()) << "a group heading is no one";
  EXPECT_TRUE(a.lists_of(U"张").empty());
  EXPECT_EQ(a.with_surname(U"张", 2), (std::vector<std::u32string>{U"张三"}));
  EXPECT_TRUE(a.with_surname(U"张", 3).empty());
  const Namesakes b({{"b", dir.file("b.txt")}});
  EXPECT_EQ(error_of([&] { b.lists_of(U"王五"); }),
            dir.file("b.txt") + ":1: carriage return (the name lists are LF only)");
}

TEST_F(TitleModel, ANamesakeIsLeftOutUnlessAllowed) {
  NameRequest q = request(10);
  NamingData d = bundled();
  d.namesakes = Namesakes();  // nobody
  const auto before = propose(q, nullptr, d);
  ASSERT_EQ(before.size(), 10u);
  // The three best names become a cast's people.
  test::TempDir dir;
  std::string cast = "# 测试\n";
  for (int i = 0; i < 3; ++i) cast += utf8::encode(before[i].explanation.name) + "\n";
  test::write_file(dir.file("cast.txt"), cast);
  d.namesakes = Namesakes({{"cast", dir.file("cast.txt")}});
  NameSearchStats stats;
  const auto after = propose(q, &stats, d);
  ASSERT_EQ(after.size(), 10u);
  for (const auto& p : after) {
    for (int i = 0; i < 3; ++i) EXPECT_NE(p.explanation.name, before[i].explanation.name);
  }
  EXPECT_EQ(stats.namesakes, 3);
  EXPECT_EQ(explain_name(d, before[0].explanation.name).namesake, (std::vector<std::string>{"cast"}));
  q.allow_namesakes = true;
  const auto allowed = propose(q, &stats, d);
  EXPECT_EQ(stats.namesakes, 0);
  EXPECT_EQ(allowed[0].explanation.name, before[0].explanation.name);
  EXPECT_EQ(allowed[0].explanation.namesake, (std::vector<std::string>{"cast"}));
}

// ---- which lines credit a name ------------------------------------------------------

namespace {
Classics one_classic(const std::string& rows) { return Classics::parse(rows, "c.tsv"); }
std::vector<std::string> titles_of(const std::vector<const ClassicLine*>& lines) {
  std::vector<std::string> out;
  for (const auto* l : lines) out.push_back(l->title);
  return out;
}
}  // namespace

TEST(Sources, RuoShuiIsNotCreditedToBuJusDuckOnTheWater) {
  // 将 / 泛泛 / 若 / 水中之凫: 若 governs all of 水中之凫, so 若水 is no word here.
  const Classics c = one_classic(
      "楚辞\t卜居\t屈原\t宁昂昂若千里之驹乎，将泛泛若水中之凫，与波上下，偷以全吾躯乎？\n"
      "楚辞\t道\t-\t上善若水。\n");
  EXPECT_EQ(c.credit(0, U'若', U'水'), Classics::Credit::None);
  EXPECT_EQ(c.credit(0, U'千', U'里'), Classics::Credit::Word);
  EXPECT_EQ(c.credit(1, U'若', U'水'), Classics::Credit::Word) << "若水 ending its clause: like water";
  EXPECT_EQ(titles_of(c.lines_with(U"若水")), (std::vector<std::string>{"道"}));
  for (const auto& s : explain_name(bundled(), U"张若水").sources) EXPECT_NE(s.title, "卜居") << s.line;
}

TEST(Sources, AComparisonWordHasItsWholeObject) {
  const Classics c = one_classic(
      "诗经\t淇奥\t-\t如切如磋，如琢如磨。\n诗经\t天保\t-\t如松柏之茂，无不尔或承。\n"
      "诗经\t天保\t-\t如月之恒，如日之升。\n");
  EXPECT_EQ(c.credit(0, U'如', U'切'), Classics::Credit::Word) << "followed by another 如";
  EXPECT_EQ(c.credit(0, U'如', U'磨'), Classics::Credit::Word);
  EXPECT_EQ(c.credit(1, U'如', U'松'), Classics::Credit::None) << "如 / 松柏之茂";
  EXPECT_EQ(c.credit(1, U'松', U'柏'), Classics::Credit::Word);
  EXPECT_EQ(c.credit(2, U'如', U'月'), Classics::Credit::Word) << "如月之恒: before a particle";
}

TEST(Sources, NoWordAcrossThePauseOfAMeteredLine) {
  const Classics c = one_classic(
      "诗经\t子衿\t-\t青青子衿，悠悠我心。\n唐诗三百首\t山居秋暝\t王维\t明月松间照，清泉石上流。\n"
      "楚辞\t离骚\t屈原\t帝高阳之苗裔兮，朕皇考曰伯庸。\n");
  EXPECT_EQ(c.credit(0, U'子', U'衿'), Classics::Credit::Word);
  EXPECT_EQ(c.credit(0, U'青', U'子'), Classics::Credit::None) << "青青 / 子衿";
  EXPECT_EQ(c.credit(1, U'明', U'月'), Classics::Credit::Word);
  EXPECT_EQ(c.credit(1, U'松', U'间'), Classics::Credit::Word);
  EXPECT_EQ(c.credit(1, U'月', U'松'), Classics::Credit::None) << "明月 / 松间照";
  EXPECT_EQ(c.credit(1, U'泉', U'石'), Classics::Credit::None) << "清泉 / 石上流";
  EXPECT_EQ(c.credit(2, U'高', U'阳'), Classics::Credit::Word) << "楚辞 has no such meter: 帝 / 高阳";
}

TEST(Sources, ACoupletsFacingCharactersAreCredited) {
  const Classics c =
      one_classic("唐诗三百首\t山居秋暝\t王维\t明月松间照，清泉石上流。\n诗经\t静女\t-\t静女其姝，俟我于城隅。\n");
  EXPECT_EQ(c.credit(0, U'月', U'泉'), Classics::Credit::Facing);
  EXPECT_EQ(c.credit(0, U'泉', U'月'), Classics::Credit::Facing) << "either clause first";
  EXPECT_EQ(c.credit(0, U'松', U'石'), Classics::Credit::Facing);
  EXPECT_EQ(c.credit(0, U'月', U'石'), Classics::Credit::None) << "not the same place";
  // 静 and 姝 share a clause of one girl, neither side by side nor facing.
  EXPECT_EQ(c.credit(1, U'静', U'姝'), Classics::Credit::None);
  EXPECT_TRUE(explain_name(bundled(), U"张静姝").sources.empty());
  // Words come before facings.
  const Classics both = one_classic("唐诗三百首\tA\t-\t月照松，泉流石。\n唐诗三百首\tB\t-\t月泉。\n");
  EXPECT_EQ(titles_of(both.lines_with(U"月泉")), (std::vector<std::string>{"B", "A"}));
}

TEST(Sources, ARefrainIsCreditedOnce) {
  const Classics c = one_classic(
      "诗经\t汉广\t-\t汉之广矣，不可泳思。\n诗经\t汉广\t-\t翘翘错薪，言刈其楚。\n"
      "诗经\t汉广\t-\t汉之广矣，不可泳思。\n诗经\t汉广\t-\t汉之广矣，不可泳思。\n");
  EXPECT_EQ(c.lines_with(U"泳思").size(), 1u);
  std::set<std::string> seen;
  for (const auto& s : explain_name(bundled(), U"张泳思").sources) {
    EXPECT_TRUE(seen.insert(s.line).second) << "twice: " << s.line;
  }
  EXPECT_FALSE(seen.empty());
}

TEST(Sources, RealNamesOfTheShijingAreCredited) {
  for (const char32_t* name : {U"张子衿", U"张思齐", U"林如玉"}) {
    const auto e = explain_name(bundled(), name);
    ASSERT_FALSE(e.sources.empty()) << utf8::encode(std::u32string(name));
    EXPECT_EQ(e.sources[0].classic, "诗经");
  }
  EXPECT_EQ(explain_name(bundled(), U"张思齐").sources[0].title, "思齐");
}

TEST_F(TitleModel, EveryNameFromASourceHasACreditedLine) {
  for (const char* classic : {"诗经", "论语"}) {
    NameRequest q = request(10);
    q.source = classic;
    const auto names = propose(q);
    ASSERT_FALSE(names.empty()) << classic;
    for (const auto& p : names) {
      ASSERT_FALSE(p.explanation.sources.empty()) << utf8::encode(p.explanation.name);
      EXPECT_EQ(p.explanation.sources[0].classic, classic) << utf8::encode(p.explanation.name);
    }
  }
}

// ---- the 破斧 erratum -------------------------------------------------------------------

TEST(Sources, PoFuHasItsThreeStanzasLines) {
  const Classics& c = bundled().classics;
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (c.line(i).classic == "诗经" && c.line(i).title == "破斧" && c.line(i).line.rfind("周公东征", 0) == 0) {
      lines.push_back(c.line(i).line);
    }
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"周公东征，四国是皇。", "周公东征，四国是吪。", "周公东征，四国是遒。"}));
}

// ---- the command line -------------------------------------------------------------------

TEST(NamingCli, ExplainSaysTitleAndNamesake) {
  const auto r = test::run_wuxia("explain 单明帝 郭靖");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("  title: imperial: emperor"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  namesake: a person of ancient, jinyong\n"), std::string::npos) << r.out;
  const auto j = test::run_wuxia("explain --json 郭靖");
  ASSERT_EQ(j.code, 0) << j.out;
  const auto o = nlohmann::json::parse(j.out);
  EXPECT_TRUE(o["title"].is_null());
  EXPECT_EQ(o["namesake"], (std::vector<std::string>{"ancient", "jinyong"}));
}
