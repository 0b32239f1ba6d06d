// The naming helper's search (include/wuxia/naming/name_search.hpp).
#include "wuxia/naming/name_search.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "wuxia/data/utf8.hpp"
#include "wuxia/naming/readings.hpp"
#include "wuxia/naming/sex_lean.hpp"
#include "wuxia/naming/today.hpp"
#include "wuxia/platform/error.hpp"

namespace wuxia {

int variety_cap(int n) { return std::max(2, (n + 9) / 10); }

namespace {

// log P(the sex asked | given name) from the lean's log-odds; 0 for any.
double sex_term(Sex sex, double log_odds) {
  if (sex == Sex::Any) return 0;
  const double x = sex == Sex::Girl ? log_odds : -log_odds;
  return -std::log1p(std::exp(-x));  // log sigmoid(x)
}

// log-sum-exp of one row of logits.
double log_norm(const float* x, int v) {
  float mx = x[0];
  for (int j = 1; j < v; ++j) mx = std::max(mx, x[j]);
  double z = 0;
  for (int j = 0; j < v; ++j) z += std::exp(static_cast<double>(x[j] - mx));
  return mx + std::log(z);
}

struct Candidate {
  double rank;    // what the beam keeps by: log-likelihood so far + the sex term
  double lm;      // log-likelihood so far
  int32_t row;    // the model row it continues
  int32_t id;     // its last character
  int32_t first;  // its first given character's id (depth 2), else -1
};
struct Worse {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.id < b.id);  // min-heap: worst on top
  }
};
// Keeps the best `cap` candidates pushed.
class Best {
 public:
  explicit Best(std::size_t cap) : cap_(cap) {}
  void push(const Candidate& c) {
    if (heap_.size() < cap_) {
      heap_.push(c);
    } else if (Worse()(c, heap_.top())) {
      heap_.pop();
      heap_.push(c);
    }
  }
  std::vector<Candidate> take() {  // best first
    std::vector<Candidate> out;
    while (!heap_.empty()) out.push_back(heap_.top()), heap_.pop();
    std::reverse(out.begin(), out.end());
    return out;
  }

 private:
  std::size_t cap_;
  std::priority_queue<Candidate, std::vector<Candidate>, Worse> heap_;
};

}  // namespace

std::vector<NameProposal> propose_names(Model<float>& model, const Vocab& vocab, const KnownNames& known,
                                        const NamingData& d, const NameRequest& q, NameSearchStats* stats,
                                        const RequestFields& fields) {
  Ensemble one(model);
  return propose_names(one, vocab, known, d, q, stats, fields);
}

namespace {

// One search (propose_names) in its phases: masks (what each character may
// be at each place, and what it adds to a name's score), the trained-name
// set, the search itself (first characters, then second ones, then END),
// the variety cap and the classic's lines. The filters are methods, so that
// the search's inner loops read as the rules they apply.
class NameSearch {
 public:
  NameSearch(Ensemble& model, const Vocab& vocab, const KnownNames& known, const NamingData& d,
             const NameRequest& q)
      : model_(model), vocab_(vocab), known_(known), d_(d), q_(q), V_(vocab.size()), L_(q.given_len),
        S_(q.surname.size()) {}

  std::vector<NameProposal> run(const std::vector<int32_t>& prefix, NameSearchStats& stats) {
    build_masks();
    collect_trained();
    std::vector<NameProposal> out = take_variety(search(prefix));
    credit_sources(out);
    stats = stats_;
    return out;
  }

 private:
  // ---- masks ----
  void build_masks() {
    const int V = V_, L = L_;
    const std::size_t S = S_;
    const NamingData& d = d_;
    const NameRequest& q = q_;
    std::unordered_set<std::string> avoided;
    for (const auto& s : avoided_syllables(d, q.avoid)) avoided.insert(s);
    // 单明善, 王旺: a given syllable that echoes the surname's reads as a
    // stammer; kept out with the 叠字 unless --allow-repeat.
    const std::vector<std::string> surname_pinyin = explain_parts(d, q.surname, U"").pinyin;
    if (!q.allow_repeat) {
      for (const auto& s : surname_pinyin) avoided.insert(toneless(s));
    }
    allowed_.assign(L, std::vector<char>(V, 0));
    char_odds_.assign(V, 0);
    counted_.assign(V, 0);
    // 谐音 (sounds_like.hpp): each character's syllable read once, as explain
    // reads it; a name is checked as its last character is chosen, on the runs
    // of syllables that end there (those that end at the first given character
    // were checked when it was chosen: such a character is passed over, as it
    // would begin only names that sound like a word).
    sound_.assign(V, {});
    spoken_.assign(S + 2, {});
    for (std::size_t i = 0; i < S; ++i) spoken_[i] = d.sounds_like.syllable(surname_pinyin[i], q.surname[i]);
    // A firm lean: P(the sex asked) >= q.min_lean, as log-odds.
    firm_ = std::log(q.min_lean / (1 - q.min_lean));
    // The sex markers of a two-character name's places and pair (伯*, 梦熊):
    // the places' looked up once per character, since the second place's loop
    // asks them of every pair.
    marker_first_.assign(V, 0.0);
    marker_last_.assign(V, 0.0);
    for (int32_t id = 1 + vocab_.num_styles(); id < V; ++id) {
      marker_first_[id] = d.sex_markers.first(vocab_.char_of(id));
      marker_last_[id] = d.sex_markers.last(vocab_.char_of(id));
    }
    for (int32_t id = 1 + vocab_.num_styles(); id < V; ++id) {
      const char32_t c = vocab_.char_of(id);
      const HanziInfo* h = d.hanzi.find(c);
      if (!h || h->level == 0 || h->level > q.level || d.ill_omened.reason(c)) continue;
      if (q.exclude.find(c) != std::u32string::npos || q.surname.find(c) != std::u32string::npos) continue;
      if (avoided.count(toneless(given_reading(d, *h)))) continue;  // 长 is cháng in a name, no echo of 张
      if (q.max_strokes > 0 && h->strokes > q.max_strokes) continue;
      char_odds_[id] = female_log_odds(d.hanzi, *h);
      sound_[id] = d.sounds_like.syllable(given_reading(d, *h), c);  // as explain reads it
      counted_[id] = h->male + h->female > 0;
      const char32_t pz = name_pingze(d, *h);  // as explain reads it in a given name (长 cháng 平)
      for (int p = 0; p < L; ++p) {
        const char32_t t = q.tones.empty() ? kToneUnknown : q.tones[S + p];
        if (t != kToneUnknown && pz != t) continue;
        if (q.with && q.with_pos == p + 1 && c != q.with) continue;
        allowed_[p][id] = 1;
      }
    }
    // Titles (data/titles.tsv: 先生, *帝, 氏*) and namesakes (the bundled
    // lists' people of this surname and length), checked as the last character
    // is chosen, in O(1): a pattern *b marks b in `title_end_`, a pattern a*
    // marks a in `title_start_`; the words and namesakes that begin with a row's
    // first character are marked in `row_marks_` for that row.
    title_end_.assign(V, 0);
    title_start_.assign(V, 0);
    title_single_.assign(V, 0);
    for (int32_t id = 1 + vocab_.num_styles(); id < V; ++id) {
      const char32_t c = vocab_.char_of(id);
      title_end_[id] = d.titles.any_then().count(c) > 0;
      title_start_[id] = d.titles.then_any().count(c) > 0;
      title_single_[id] = d.titles.single(c) != nullptr;
    }
    if (!q.allow_namesakes) {
      for (const auto& n : d.namesakes.with_surname(q.surname, S + L)) {
        const int32_t first = L == 2 ? vocab_.id_of(n[S]) : -1, last = vocab_.id_of(n.back());
        if ((L == 2 && first < 0) || last < 0) continue;  // a character the model lacks: never proposed
        namesake_after_[first].push_back(last);
      }
    }
    row_marks_.assign(V, 0);
    // A two-character given name that is a word reads as the word (相宜 xiāng yí, though 相 alone is xiàng):
    // the masks take each character's own reading, so a word whose reading breaks --tones is kept out here.
    if (L == 2 && !q.tones.empty()) {
      for (const auto& [w, readings] : d.word_readings.all()) {
        if (w.size() != 2) continue;
        const std::u32string pz = pingze_of_reading(d, w, readings.front());
        for (int p = 0; p < 2; ++p) {
          const char32_t t = q.tones[S + p];
          if (t != kToneUnknown && pz[p] != t) off_tone_words_.insert(pair_key(w[0], w[1]));
        }
      }
    }
    with_id_ = q.with ? vocab_.id_of(q.with) : -1;
    // A place the with-character must fill: its own, or the last when the first did not take it.
    if (q.with && q.with_pos == 0 && L == 1) {
      for (int32_t id = 0; id < V; ++id) allowed_[0][id] = allowed_[0][id] && id == with_id_;
    }
    // Names of our time: each character's today term (today.hpp), against the
    // names the model learnt the style from; history's names: the model alone.
    today_.assign(V, 0.0);
    if (q.era == Era::Today) {
      static const std::vector<std::u32string> none;
      const auto& corpus =
          known_.train && q.style < static_cast<int>(known_.train->size()) ? (*known_.train)[q.style] : none;
      prior_ = TodayPrior::build(d, vocab_, corpus);
      for (int32_t id = 0; id < V; ++id) today_[id] = prior_->term(id, q.sex);
    }
  }

  // ---- the trained-name set ----
  // The names of this surname and length the model was trained on: one pass
  // over its lists; the search never keeps them, so they take no room.
  void collect_trained() {
    for (const auto* lists : {known_.train, known_.val}) {
      if (!lists) continue;
      for (const auto& style : *lists) {
        for (const auto& n : style) {
          if (n.size() == S_ + static_cast<std::size_t>(L_) && n.compare(0, S_, q_.surname) == 0) trained_.insert(n);
        }
      }
    }
  }

  // ---- the filters, applied as a name's last character is chosen ----
  bool hears_word(int32_t first, int32_t id) {
    if (q_.allow_sounds_like) return false;
    std::size_t end = S_;  // the place of `id` in the name
    if (first >= 0) spoken_[end++] = sound_[first];
    spoken_[end] = sound_[id];
    for (std::size_t n = kSoundsLikeMinLen; n <= std::min(kSoundsLikeMaxLen, end + 1); ++n) {
      const std::size_t start = end + 1 - n;
      if (d_.sounds_like.run_matches(&spoken_[start], n, start < S_ ? S_ - start : 0)) return true;
    }
    return false;
  }
  bool sounds_wrong(int32_t first, int32_t id) {
    if (!hears_word(first, id)) return false;
    ++stats_.sounds_like;
    return true;
  }
  double marker_odds(int32_t first, int32_t id) const {
    if (first < 0) return 0.0;
    return marker_first_[first] + marker_last_[id] + d_.sex_markers.pair(vocab_.char_of(first), vocab_.char_of(id));
  }
  // With girl or boy, a complete name must lean that way (a name none of
  // whose characters has counts has no lean), so such names take no room.
  bool reads_wrong(int32_t first, int32_t id) {
    if (q_.sex == Sex::Any) return false;
    const double marked = marker_odds(first, id);
    const double lo = char_odds_[id] + (first >= 0 ? char_odds_[first] : 0) + marked;
    const bool lean = counted_[id] || (first >= 0 && counted_[first]) || marked != 0;
    if (lean && (q_.sex == Sex::Girl ? lo >= firm_ : lo <= -firm_)) return false;
    ++stats_.other_sex;
    return true;
  }
  static constexpr char kTitleWord = 1, kNamesake = 2;
  void mark_row(int32_t first, bool on) {
    if (first >= 0) {
      if (const auto* w = d_.titles.words_after(vocab_.char_of(first))) {
        for (const auto& [b, why] : *w) {
          const int32_t id = vocab_.id_of(b);
          if (id >= 0) row_marks_[id] = on ? row_marks_[id] | kTitleWord : 0;
        }
      }
    }
    if (const auto it = namesake_after_.find(first); it != namesake_after_.end()) {
      for (int32_t id : it->second) row_marks_[id] = on ? row_marks_[id] | kNamesake : 0;
    }
  }
  bool is_title(int32_t first, int32_t id) {
    const bool title =
        first < 0 ? title_single_[id] : (row_marks_[id] & kTitleWord) || title_end_[id] || title_start_[first];
    if (title) ++stats_.titles;
    return title;
  }
  bool is_namesake(int32_t id) {
    if (!(row_marks_[id] & kNamesake)) return false;
    ++stats_.namesakes;
    return true;
  }
  bool is_trained(int32_t first, int32_t id) {
    if (trained_.empty()) return false;
    std::u32string n = q_.surname;
    if (first >= 0) n.push_back(vocab_.char_of(first));
    n.push_back(vocab_.char_of(id));
    if (!trained_.count(n)) return false;
    ++stats_.known;
    return true;
  }
  double name_bonus(int32_t first, int32_t id) const {
    return prior_ && first >= 0 ? prior_->name_bonus(vocab_.char_of(first), vocab_.char_of(id), q_.sex) : 0.0;
  }
  static uint64_t pair_key(char32_t a, char32_t b) { return (static_cast<uint64_t>(a) << 32) | b; }

  // ---- the search ----
  // Every name the beam keeps, scored with END and ranked.
  std::vector<NameProposal> search(const std::vector<int32_t>& prefix) {
    Ensemble& model = model_;
    const NameRequest& q = q_;
    const NamingData& d = d_;
    const int V = V_, L = L_;
    const std::size_t S = S_;
    const int width = std::min(V, std::max(64, 4 * q.n));  // first characters kept
    const int pool = std::max(512, 10 * q.n);              // complete names ranked
    model.begin_inference(std::max(width + 1, pool));
    // The surname: one row, fed START and its characters; its likelihood is
    // part of every name's.
    double lm0 = 0;
    const std::vector<float>* logits = nullptr;
    for (std::size_t t = 0; t < prefix.size(); ++t) {
      if (t > 0) lm0 += (*logits)[prefix[t]] - log_norm(logits->data(), V);
      logits = &model.infer_step({prefix[t]});
    }

    // First given character: every allowed one, the best `width` kept (or the
    // pool's worth when it is the last).
    Best first(L == 1 ? pool : width);
    {
      const double z = log_norm(logits->data(), V);
      if (L == 1) mark_row(-1, true);
      for (int32_t id = 0; id < V; ++id) {
        // 氏*: no second character saves it, so it takes no room among the first.
        if (!allowed_[0][id] || (L == 2 && title_start_[id])) continue;
        if (L == 1 && (is_trained(-1, id) || is_title(-1, id) || is_namesake(id) || reads_wrong(-1, id))) continue;
        if (sounds_wrong(-1, id)) continue;
        const double lm = lm0 + (*logits)[id] - z;
        first.push({lm + sex_term(q.sex, char_odds_[id]) + today_[id], lm, 0, id, -1});
      }
    }
    std::vector<Candidate> names = first.take();
    // --with at either place: the names that put it first need it among the
    // first characters, however it ranks there.
    if (L == 2 && q.with && q.with_pos == 0 && allowed_[0][with_id_] && !hears_word(-1, with_id_) &&
        std::none_of(names.begin(), names.end(), [&](const Candidate& c) { return c.id == with_id_; })) {
      const double lm = lm0 + (*logits)[with_id_] - log_norm(logits->data(), V);
      names.push_back({lm + sex_term(q.sex, char_odds_[with_id_]) + today_[with_id_], lm, 0, with_id_, -1});
    }
    if (L == 2) {
      std::vector<int32_t> keep(names.size(), 0), tok;
      for (const auto& c : names) tok.push_back(c.id);
      model.infer_select(keep, 0);
      logits = &model.infer_step(tok);
      Best second(pool);
      const std::string classic = q.source == "any" ? "" : q.source;
      // The second characters that could end a word after this first one.
      std::vector<char> ends(d.sounds_like.sound_count(), 0);
      std::vector<char32_t> end_chars;
      for (std::size_t r = 0; r < names.size(); ++r) {
        const Candidate& c1 = names[r];
        const float* x = logits->data() + r * static_cast<std::size_t>(V);
        const double z = log_norm(x, V);
        const bool must_with = q.with && q.with_pos == 0 && c1.id != with_id_;
        std::unordered_set<char32_t> partners;  // with --source: the characters a line credits after the first
        if (!q.source.empty()) partners = d.classics.partners(vocab_.char_of(c1.id), classic);
        const std::unordered_set<char32_t>* shares = q.source.empty() ? nullptr : &partners;
        std::fill(ends.begin(), ends.end(), 0);
        end_chars.clear();
        if (!q.allow_sounds_like) {
          spoken_[S] = sound_[c1.id];
          for (std::size_t n = 1; n <= std::min(kSoundsLikeMaxLen - 1, S + 1); ++n) {
            d.sounds_like.completions(&spoken_[S + 1 - n], n, ends, end_chars);
          }
        }
        auto may_end_word = [&](int32_t id) {
          return ends[sound_[id].sound] ||
                 std::find(end_chars.begin(), end_chars.end(), sound_[id].ch) != end_chars.end();
        };
        mark_row(c1.id, true);
        for (int32_t id = 0; id < V; ++id) {
          if (!allowed_[1][id] || (must_with && id != with_id_) || (!q.allow_repeat && id == c1.id)) continue;
          if (shares && !shares->count(vocab_.char_of(id))) continue;
          if (is_trained(c1.id, id) || is_title(c1.id, id) || is_namesake(id) || reads_wrong(c1.id, id)) continue;
          if (!off_tone_words_.empty() && off_tone_words_.count(pair_key(vocab_.char_of(c1.id), vocab_.char_of(id))))
            continue;
          if (may_end_word(id) && sounds_wrong(c1.id, id)) continue;
          const double lm = c1.lm + x[id] - z;
          second.push({lm + sex_term(q.sex, char_odds_[c1.id] + char_odds_[id] + marker_odds(c1.id, id)) +
                           today_[c1.id] + today_[id] + name_bonus(c1.id, id),
                       lm, static_cast<int32_t>(r), id, c1.id});
        }
        mark_row(c1.id, false);
      }
      names = second.take();
    }
    // END after the last character: each name's row continues from its parent's.
    std::vector<NameProposal> ranked;
    if (!names.empty()) {
      std::vector<int32_t> keep, tok;
      for (const auto& c : names) keep.push_back(L == 2 ? c.row : 0), tok.push_back(c.id);
      model.infer_select(keep, 0);
      logits = &model.infer_step(tok);
      for (std::size_t r = 0; r < names.size(); ++r) {
        const Candidate& c = names[r];
        const float* x = logits->data() + r * static_cast<std::size_t>(V);
        std::u32string given;
        if (c.first >= 0) given.push_back(vocab_.char_of(c.first));
        given.push_back(vocab_.char_of(c.id));
        ++stats_.candidates;
        const SexLean lean =
            sex_lean(d.hanzi, given, &d.sex_markers);  // reads_wrong kept out those leaning the other way
        NameProposal np;
        np.log_likelihood = c.lm + x[kEnd] - log_norm(x, V);
        np.today = today_[c.id] + (c.first >= 0 ? today_[c.first] : 0.0) + name_bonus(c.first, c.id);
        np.score = np.log_likelihood + sex_term(q.sex, lean.log_odds) + np.today;
        np.explanation.given = given;  // explained once chosen
        ranked.push_back(std::move(np));
      }
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const NameProposal& a, const NameProposal& b) {
      return a.score > b.score || (a.score == b.score && a.explanation.given < b.explanation.given);
    });
    return ranked;
  }

  // ---- the variety cap ----
  // In rank order, a name whose characters already fill their cap waits; the
  // waiting ones fill the list only when the others run out. The --with
  // character is in every name; at either place, each place holds it in at
  // most half the list, so the family sees both.
  std::vector<NameProposal> take_variety(std::vector<NameProposal> ranked) {
    const NameRequest& q = q_;
    const int cap = variety_cap(q.n), with_cap = (q.n + 1) / 2;
    std::unordered_map<char32_t, int> uses;
    int with_at[2] = {0, 0};
    std::vector<NameProposal> out;
    std::vector<std::size_t> waiting;
    for (std::size_t i = 0; i < ranked.size() && static_cast<int>(out.size()) < q.n; ++i) {
      const std::u32string& g = ranked[i].explanation.given;
      const std::size_t with_place = q.with && q.with_pos == 0 && L_ == 2 ? g.find(q.with) : std::u32string::npos;
      bool full = with_place != std::u32string::npos && with_at[with_place] >= with_cap;
      for (char32_t c : g) full = full || (c != q.with && uses[c] >= cap);
      if (full) {
        waiting.push_back(i);
        continue;
      }
      for (char32_t c : std::unordered_set<char32_t>(g.begin(), g.end())) ++uses[c];
      if (with_place != std::u32string::npos) ++with_at[with_place];
      out.push_back(std::move(ranked[i]));
    }
    for (std::size_t k = 0; k < waiting.size() && static_cast<int>(out.size()) < q.n; ++k) {
      out.push_back(std::move(ranked[waiting[k]]));
      ++stats_.past_variety;
    }
    return out;
  }

  // ---- the classic's lines ----
  // Each name chosen explained, the lines of the classic asked for first.
  void credit_sources(std::vector<NameProposal>& out) const {
    for (auto& p : out) {
      const std::u32string given = p.explanation.given;
      p.explanation = explain_parts(d_, q_.surname, given);
      if (!q_.source.empty() && q_.source != "any") {
        std::vector<NameSource> sources;
        for (const ClassicLine* l : d_.classics.lines_with(given, q_.source, kMaxSources)) {
          sources.push_back({l->classic, l->title, l->author, l->line});
        }
        for (const auto& s : p.explanation.sources) {
          if (sources.size() < kMaxSources && s.classic != q_.source) sources.push_back(s);
        }
        p.explanation.sources = std::move(sources);
      }
    }
  }

  Ensemble& model_;
  const Vocab& vocab_;
  const KnownNames& known_;
  const NamingData& d_;
  const NameRequest& q_;
  const int V_, L_;
  const std::size_t S_;
  NameSearchStats stats_;
  // The masks (build_masks), by character id.
  std::vector<std::vector<char>> allowed_;  // [place][id]: may the character stand there
  std::vector<double> char_odds_;           // each character's term of the sex log-odds
  std::vector<char> counted_;               // whether the character has counts (a lean at all)
  std::vector<SoundsLikeSyllable> sound_;   // its syllable as explain reads it
  std::vector<SoundsLikeSyllable> spoken_;  // the name's syllables so far: the surname's, then the given
  double firm_ = 0;                         // the firm lean as log-odds
  std::vector<double> marker_first_, marker_last_;
  std::vector<char> title_end_, title_start_, title_single_;
  std::unordered_map<int32_t, std::vector<int32_t>> namesake_after_;  // first given id (-1: none) -> last ids
  std::vector<char> row_marks_;                                        // kTitleWord | kNamesake, for one row
  std::unordered_set<uint64_t> off_tone_words_;
  int32_t with_id_ = -1;
  std::vector<double> today_;
  std::optional<TodayPrior> prior_;  // for the names' bonus (today.hpp)
  std::unordered_set<std::u32string> trained_;
};

}  // namespace

std::vector<NameProposal> propose_names(Ensemble& model, const Vocab& vocab, const KnownNames& known,
                                        const NamingData& d, const NameRequest& q, NameSearchStats* stats_out,
                                        const RequestFields& fields) {
  check_request(d, q, fields);
  if (q.style < 0 || q.style >= vocab.num_styles()) throw Error("--style: no such style in this model");
  std::vector<int32_t> prefix{vocab.start_id(q.style)};
  for (char32_t c : q.surname) {
    const int32_t id = vocab.id_of(c);
    if (id < 0) throw Error(fields.surname + ": character '" + utf8::encode(c) + "' is not in the model's vocabulary");
    prefix.push_back(id);
  }
  if (q.with && vocab.id_of(q.with) < 0) {
    throw Error(fields.with + " " + utf8::encode(q.with) + ": not in the model's vocabulary");
  }
  NameSearchStats stats;
  std::vector<NameProposal> out = NameSearch(model, vocab, known, d, q).run(prefix, stats);
  if (stats_out) *stats_out = stats;
  return out;
}

nlohmann::json to_json(const NameProposal& p) {
  nlohmann::json j = to_json(p.explanation);
  j["log_likelihood"] = p.log_likelihood;
  j["today"] = p.today;
  j["score"] = p.score;
  return j;
}

}  // namespace wuxia
