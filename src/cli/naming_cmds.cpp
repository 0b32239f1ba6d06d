// explain and name: the naming helper for parents (docs/NAMING.md).
// The work is src/naming/'s; this file reads flags and prints.
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli.hpp"
#include "wuxia/data/names.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/infer/scoring.hpp"
#include "wuxia/naming/explain.hpp"
#include "wuxia/naming/name_search.hpp"
#include "wuxia/platform/error.hpp"

namespace wuxia::cli {

namespace {

// The model a parent gets: the base pretrained on 253k historical names and
// 12.7k poets' names, which are real people's names, rather than runs/default
// (the Jin Yong cast: titles and nicknames).
const char* const kNamingCheckpoint = "runs/base/best.safetensors";
const char* const kNamingStyle = "ancient";

void check_naming_checkpoint(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    throw Error(path + ": no such checkpoint" +
                (path == kNamingCheckpoint
                     ? std::string(" (make the base model with `wuxia train`: it pretrains runs/base on first use, "
                                   "about 4 minutes on two cores; or give --checkpoint)")
                     : std::string()));
  }
}

// Every --checkpoint (default the base) as one ensemble.
LoadedEnsemble load_naming_ensemble(const cxxopts::ParseResult& r) {
  const std::vector<std::string> paths = checkpoint_flags(r, kNamingCheckpoint);
  for (const auto& p : paths) check_naming_checkpoint(p);
  return load_ensemble(paths, device_flag(r), threads_flag(r), std::cerr);
}

// --style, else `ancient` where the model knows it, else its first style.
int naming_style(const cxxopts::ParseResult& r, const Loaded& l) {
  const int ancient = l.vocab.style_index(kNamingStyle);
  return style_flag(r, l.vocab, ancient >= 0 ? ancient : l.ck.default_style());
}

std::string fixed(double x, int digits) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(digits) << x;
  return o.str();
}

std::string joined(const std::vector<int>& v, const char* sep) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + std::to_string(v[i]);
  return s;
}

std::string syllables(const std::vector<std::string>& reading) {
  std::string s;
  for (std::size_t i = 0; i < reading.size(); ++i) s += (i ? " " : "") + reading[i];
  return s;
}

// One name for a person: a header row, its other readings when it reads two
// ways, then a line per given character (its gloss) and per source.
void print_explanation(const Explanation& e, const std::string& extra, std::ostream& out) {
  std::string pinyin;
  for (std::size_t i = 0; i < e.pinyin.size(); ++i) pinyin += (i ? " " : "") + e.pinyin[i];
  out << utf8::encode(e.name) << "\t" << pinyin << "\t" << utf8::encode(e.pingze) << "\t" << joined(e.strokes, "+")
      << "\t" << joined(e.levels, " ") << "\t" << (e.p_female ? fixed(*e.p_female, 2) : std::string("?")) << extra
      << "\n";
  for (const auto& m : e.sounds_like) {  // first: what a family must not miss
    out << "  " << (m.written && !m.tones ? "looks like " : "sounds like ") << utf8::encode(m.word) << " (" << m.pinyin
        << (m.tones || m.written ? "" : ", tones differ") << "): " << m.why << "\n";
  }
  if (!e.written.empty())
    out << "  written " << utf8::encode(e.written) << ", read as " << utf8::encode(e.name) << "\n";
  if (!e.also_read.empty()) {
    out << "  also read:";
    for (std::size_t i = 0; i < e.also_read.size(); ++i) out << (i ? "; " : " ") << syllables(e.also_read[i]);
    out << "\n";
  }
  for (std::size_t i = 0; i < e.given.size(); ++i) {
    out << "  " << utf8::encode(e.given[i]) << "  " << (e.gloss[i].empty() ? "-" : e.gloss[i]) << "\n";
  }
  for (const auto& s : e.sources) {
    out << "  《" << s.title << "》" << (s.author.empty() ? "" : " " + s.author) << " (" << s.classic << "): " << s.line
        << "\n";
  }
  if (e.title) out << "  title: " << *e.title << "\n";
  if (!e.namesake.empty()) {
    out << "  namesake: a person of";
    for (std::size_t i = 0; i < e.namesake.size(); ++i) out << (i ? ", " : " ") << e.namesake[i];
    out << "\n";
  }
}

// Every name of a file, one per line, repeats kept: explain answers each line
// in order, so that its output lines up with its input. Blank and `#` lines
// are skipped as in every name file; each name comes with "<path>:<line>".
std::vector<std::pair<std::u32string, std::string>> name_lines(const std::string& path) {
  // Read as train reads its data (names.hpp): a line is bounded as it
  // arrives, so /dev/zero or a 10 MB line is refused naming file and line.
  constexpr std::size_t kMaxFileNames = 100000;
  std::vector<std::pair<std::u32string, std::string>> out;
  for_each_name_line(path, [&](std::u32string name, std::size_t line) {
    const std::string where = path + ":" + std::to_string(line);
    if (out.size() == kMaxFileNames) {
      throw Error(where + ": more than " + std::to_string(kMaxFileNames) + " names; explain a file in parts");
    }
    out.emplace_back(std::move(name), where);
  });
  if (out.empty()) throw Error(path + ": no names (the file is empty or has only blank and comment lines)");
  return out;
}

const char* const kColumns = "name\tpinyin\tpingze\tstrokes\tlevels\tP(female)";

// The names explain is given, each with where it came from: the arguments,
// then the lines of --file.
std::vector<std::pair<std::u32string, std::string>> explain_inputs(const cxxopts::ParseResult& r) {
  std::vector<std::pair<std::u32string, std::string>> names;
  if (r.count("names")) {
    for (const auto& n : r["names"].as<std::vector<std::string>>())
      names.emplace_back(utf8::decode_or_throw(n, "name '" + n + "'"), "name '" + n + "'");
  }
  if (r.count("file")) {
    for (auto& n : name_lines(r["file"].as<std::string>())) names.push_back(std::move(n));
  }
  if (names.empty()) throw Error("give names as arguments or --file FILE (see --help)");
  return names;
}

// One JSON object a line, or the table (a percentile column when a model was given).
void print_explanations(const std::vector<Explanation>& out, bool percentile, bool json) {
  if (json) {
    for (const auto& e : out) std::cout << to_json(e).dump() << "\n";
    return;
  }
  std::cout << kColumns << (percentile ? "\tpercentile" : "") << "\n";
  for (const auto& e : out) {
    print_explanation(e, !percentile ? "" : e.percentile ? "\t" + fixed(*e.percentile, 1) : "\t?", std::cout);
  }
}

}  // namespace

int cmd_explain(int argc, char** argv) {
  cxxopts::Options opts(
      "wuxia explain",
      "What a name is made of: the surname (the longest of data/surnames.tsv that begins it) and its reading as a "
      "surname (data/surname_fixes.tsv applied), each character's reading in a name (a word's reading, "
      "data/name_readings.tsv, else the commonest; 'also read' where a name reads two ways), 平仄 of that reading, "
      "strokes and level in the 通用规范汉字表 (0 = not in it), "
      "P(female) from its given characters (naive Bayes over given-name counts, equal priors), each given "
      "character's gloss, up to 5 lines of the classics crediting its given name (as a word, or facing in a couplet), "
      "whether the given name reads as a title (data/titles.tsv) and the bundled lists with a person of that name "
      "(ancient, poets, jinyong, gulong), and the words of data/sounds_like.tsv the whole name sounds like (谐音: "
      "杜子腾 for "
      "肚子疼). With --checkpoint, its percentile among the model's own samples.");
  opts.positional_help("NAME...");
  // clang-format off
  opts.add_options()
    ("file", "names to explain, one per line (each line answered, repeats too)", cxxopts::value<std::string>())
    ("given", "read each whole name as a given name (no surname)")
    ("checkpoint", "add the model's percentile (e.g. runs/base/best.safetensors); repeat for an ensemble", cxxopts::value<std::string>())
    ("style", "style the percentile is taken in (default: ancient where the model knows it)",
     cxxopts::value<std::string>())
    ("samples", "model samples the percentile is taken against", cxxopts::value<int>()->default_value("2000"))
    ("json", "one JSON object per line (JSON Lines): name, surname, given, pinyin, pingze, readings (the other "
             "readings of a name read two ways), strokes, levels, gender {female}, gloss, percentile (with "
             "--checkpoint), sources [{title, author, line}], title (why, or null), namesake [lists], "
             "sounds_like [{word, pinyin, why, tones, written}]")
    ("names", "names", cxxopts::value<std::vector<std::string>>());
  // clang-format on
  add_device_flags(opts, "cpu", 0);
  opts.parse_positional({"names"});
  cxxopts::ParseResult r;
  if (!parse(opts, argc, argv, r)) return 0;
  const auto names = explain_inputs(r);
  const int n_samples = r["samples"].as<int>();
  if (n_samples < 1 || n_samples > kMaxReferenceSamples) {
    throw Error("--samples must be from 1 to " + std::to_string(kMaxReferenceSamples));
  }
  const NamingData data = NamingData::load_bundled();

  std::vector<Explanation> out;
  std::size_t skipped = 0;
  for (const auto& [name, where] : names) {
    try {
      out.push_back(explain_as_written(data, name, r.count("given") > 0, where));
    } catch (const Error& e) {  // one bad name does not hide the others' answers
      std::cerr << "wuxia explain: " << e.what() << "; skipped\n";
      ++skipped;
    }
  }
  if (r.count("checkpoint")) {
    LoadedEnsemble ens = load_naming_ensemble(r);
    const Loaded& l = ens.first();
    const int style = naming_style(r, l);
    std::vector<std::u32string> all;
    for (const auto& e : out) all.push_back(e.name);
    const Percentiles p = percentiles(*ens.ensemble, l.vocab, all, style, n_samples, 1);
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i].percentile = p.percentile[i];
      if (!out[i].percentile) {
        std::cerr << "wuxia explain: " << utf8::encode(out[i].name)
                  << ": no percentile (a character the model does not know)\n";
      }
    }
  }
  print_explanations(out, r.count("checkpoint") > 0, r.count("json") > 0);
  if (skipped) std::cerr << "wuxia explain: " << skipped << " of " << names.size() << " names skipped\n";
  return skipped == names.size() ? 1 : skipped ? 3 : 0;
}

namespace {

// `wuxia name`'s flags as a NameRequestInput; build_name_request checks them
// as it checks the JSON API's fields (serve/api.cpp: name_request_from_json).
NameRequest name_request_from_flags(const cxxopts::ParseResult& r) {
  NameRequestInput in;
  const auto text = [&](const char* flag) -> std::optional<std::string> {
    if (!r.count(flag)) return std::nullopt;
    return r[flag].as<std::string>();
  };
  in.surname = text("surname");
  in.gender = r["gender"].as<std::string>();
  in.level = r["level"].as<int>();
  in.tones = text("tones");
  in.given_len = r["given-len"].as<int>();
  in.with = text("with");
  in.exclude = r["exclude"].as<std::string>();
  if (r.count("avoid")) in.avoid = r["avoid"].as<std::vector<std::string>>();
  in.allow_repeat = r.count("allow-repeat") > 0;
  in.allow_namesakes = r.count("allow-namesakes") > 0;
  in.allow_sounds_like = r.count("allow-sounds-like") > 0;
  in.max_strokes = r["max-strokes"].as<int>();
  in.source = text("source");
  in.era = r["era"].as<std::string>();
  in.lean = r["lean"].as<double>();
  in.n = r["n"].as<int>();
  return build_name_request(in, RequestFields{});
}

}  // namespace

int cmd_name(int argc, char** argv) {
  cxxopts::Options opts(
      "wuxia name",
      "Names a family could give: new given names for a surname, ranked by the model's log-likelihood of the whole "
      "name (END included), plus log P(the sex asked | given name), plus (--era today, the default) how much more "
      "living people and young people's lists use its characters than the model's historical names do, dated "
      "characters (建国 秀英) lowered: names of our time built the way the model learnt names are built. With girl or "
      "boy, a name must read as that sex with P >= --lean (0.7). Every filter is kept inside the "
      "search, so a strict request still fills its list; no character is used in more than max(2, n/10) names; never "
      "the surname's character, an ill-omened one (data/ill_omened.txt) or, unless --allow-repeat, 叠字 or a syllable "
      "of the surname, nor a given name that reads as a title (data/titles.tsv: 先生, 明帝, 氏女), nor, unless "
      "--allow-sounds-like, a name that sounds "
      "like a word of data/sounds_like.tsv (谐音: 杨伟, 杜子腾). Names the "
      "model was trained on, and those of a person of the bundled lists (unless --allow-namesakes), are left out.");
  // clang-format off
  opts.add_options()
    ("surname", "surname, one or two characters (张, 单, 欧阳)", cxxopts::value<std::string>())
    ("gender", "girl, boy or any", cxxopts::value<std::string>()->default_value("any"))
    ("level", "1, 2 or 3: only characters of that level of the 通用规范汉字表 or commoner (1: the 3,500 commonest; "
              "2: 6,500, every one on any input method and ID system; 3: all 8,105)",
     cxxopts::value<int>()->default_value(std::to_string(kDefaultLevel)))
    ("tones", "the whole name's 平仄, surname included: 平, 仄 or ? (any) per character, e.g. ?平仄 (p and z also do)",
     cxxopts::value<std::string>())
    ("given-len", "characters in the given name: 1 or 2", cxxopts::value<int>()->default_value("2"))
    ("with", "CHAR[@POS]: a generational character (字辈) every name holds, at place 1 or 2 of the given name "
             "(either when no @POS)", cxxopts::value<std::string>())
    ("exclude", "characters never to use", cxxopts::value<std::string>()->default_value(""))
    ("avoid", "NAME[,NAME...]: names (the elders') whose syllables, tones aside, the given name may not echo",
     cxxopts::value<std::vector<std::string>>())
    ("allow-repeat", "allow 叠字 (the same character twice, 婷婷) and a given syllable that echoes the surname's "
                     "(王旺)")
    ("allow-sounds-like", "allow names that sound like a word of data/sounds_like.tsv (杨伟 for 阳痿, 杜子腾 for "
                          "肚子疼); they carry the warning")
    ("max-strokes", "each given character at most this many strokes (0 = any): easier for a child to write",
     cxxopts::value<int>()->default_value("0"))
    ("source", "any or one of 诗经 楚辞 论语 唐诗三百首 宋词三百首: only names a line of it credits (the two "
               "characters as a word, or facing in a couplet)", cxxopts::value<std::string>())
    ("allow-namesakes", "also propose names of people in the bundled lists (historical people, poets, the casts)")
    ("era", "today: names of our time (the model's sense of how a name is built, with the characters living people "
            "carry and young people's lists use, dated ones like 建国 秀英 lowered; docs/NAMING.md); "
            "history: the model's own names, as it learnt them from historical people",
     cxxopts::value<std::string>()->default_value("today"))
    ("lean", "with --gender girl|boy: each name reads as that sex with at least this chance",
     cxxopts::value<double>()->default_value("0.7"))
    ("n", "how many names (at most " + std::to_string(kMaxNames) + ")", cxxopts::value<int>()->default_value("20"))
    ("style", "style to name in (default: ancient, the 253k historical names, where the model knows it)",
     cxxopts::value<std::string>())
    ("checkpoint", "model (default: the base, pretrained on historical names and poets); repeat for an ensemble "
                   "(the mixture of their next-character distributions; the first one's training names are passed over)",
     cxxopts::value<std::string>()->default_value(kNamingCheckpoint))
    ("json", "one JSON object per line: explain --json's fields, plus log_likelihood and score");
  // clang-format on
  add_device_flags(opts, "cpu", 0);
  cxxopts::ParseResult r;
  if (!parse(opts, argc, argv, r)) return 0;
  NameRequest q = name_request_from_flags(r);
  const NamingData data = NamingData::load_bundled();
  check_request(data, q);  // before the (slower) model load
  if (const auto reading = unlisted_surname_reading(data, q.surname)) {
    std::cerr << "wuxia name: note: " << utf8::encode(q.surname) << " is not in data/surnames.tsv; read as " << *reading
              << "\n";
  }

  LoadedEnsemble e = load_naming_ensemble(r);
  const Loaded& l = e.first();
  q.style = naming_style(r, l);
  NameSearchStats stats;
  const auto names =
      propose_names(*e.ensemble, l.vocab, KnownNames{&l.ck.train_names, &l.ck.val_names}, data, q, &stats);
  if (r.count("json")) {
    for (const auto& p : names) std::cout << to_json(p).dump() << "\n";
  } else {
    std::cout << kColumns << "\tscore\n";
    for (const auto& p : names) print_explanation(p.explanation, "\t" + fixed(p.score, 2), std::cout);
  }
  if (stats.past_variety) {
    std::cerr << "wuxia name: " << stats.past_variety << " name(s) use a character past the variety cap of "
              << variety_cap(q.n) << " names (few names pass the filters)\n";
  }
  if (static_cast<int>(names.size()) < q.n) {
    std::cerr << "wuxia name: " << shortfall_message(q, names.size(), stats, RequestFields{}) << "\n";
    return 3;
  }
  return 0;
}

}  // namespace wuxia::cli
