// `wuxia serve`: the JSON API through a real HTTP client, in-process on an
// ephemeral port, and the command itself (signals, flags, defaults).
#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <tuple>

#include "test_util.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/serve/serve.hpp"

using nlohmann::json;
using wuxia::test::run_wuxia;

namespace {

const std::string kData = std::string(WUXIA_DATA_DIR) + "/jinyong.txt";
const std::string kGulong = std::string(WUXIA_DATA_DIR) + "/gulong.txt";

// Two small models trained once (a few seconds), and a server over them.
class ServeApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new wuxia::test::TempDir();
    const std::string shape = " --from-scratch --steps 30 --eval-every 15 --hidden 32 --embed 16 --batch 32";
    auto r = run_wuxia("train --data " + kData + shape + " --out " + dir_->file("jy"));
    ASSERT_EQ(r.code, 0) << r.out;
    r = run_wuxia("train --data " + kGulong + shape + " --out " + dir_->file("gl"));
    ASSERT_EQ(r.code, 0) << r.out;
    // The naming helper's style: a slice of the historical names.
    std::istringstream ancient(wuxia::test::read_file(std::string(WUXIA_DATA_DIR) + "/ancient.txt"));
    std::string line, slice;
    for (int kept = 0; kept < 3000 && std::getline(ancient, line);) {
      if (line.empty() || line[0] == '#') continue;
      slice += line + "\n";
      ++kept;
    }
    wuxia::test::write_file(dir_->file("ancient.txt"), slice);
    r = run_wuxia("train --data " + dir_->file("ancient.txt") + shape + " --out " + dir_->file("base"));
    ASSERT_EQ(r.code, 0) << r.out;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string jinyong() { return dir_->file("jy") + "/best.safetensors"; }
  static std::string gulong() { return dir_->file("gl") + "/best.safetensors"; }
  static std::string base() { return dir_->file("base") + "/best.safetensors"; }

  void SetUp() override {
    wuxia::ServeOptions o;
    o.checkpoints = {jinyong(), gulong(), base()};
    o.port = 0;
    o.workers = 3;
    server_ = std::make_unique<wuxia::Server>(o, log_);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    return c;
  }
  // POSTs `body` (raw text) to `path`; returns status and parsed JSON.
  std::pair<int, json> post(const std::string& path, const std::string& body) const {
    auto res = client().Post(path.c_str(), body, "application/json");
    if (!res) return {-1, json()};
    return {res->status, json::parse(res->body)};
  }
  std::pair<int, json> get(const std::string& path) const {
    auto res = client().Get(path.c_str());
    if (!res) return {-1, json()};
    return {res->status, json::parse(res->body)};
  }

  static wuxia::test::TempDir* dir_;
  std::ostringstream log_;
  std::unique_ptr<wuxia::Server> server_;
  std::thread thread_;
  int port_ = 0;
};
wuxia::test::TempDir* ServeApi::dir_ = nullptr;

}  // namespace

TEST_F(ServeApi, HealthSaysOkAndCountsTheModels) {
  const auto [status, j] = get("/api/health");
  ASSERT_EQ(status, 200);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["models"], 3);
}

TEST_F(ServeApi, ModelsListsEachCheckpointWithItsStylesAndLineage) {
  const auto [status, j] = get("/api/models");
  ASSERT_EQ(status, 200);
  ASSERT_EQ(j["models"].size(), 3u);
  EXPECT_EQ(j["models"][0]["checkpoint"], jinyong());
  EXPECT_EQ(j["models"][0]["styles"], json::array({"jinyong"}));
  EXPECT_EQ(j["models"][0]["default_style"], "jinyong");
  EXPECT_EQ(j["models"][0]["step"], 30);
  EXPECT_TRUE(j["models"][0]["lineage"].is_array());
  EXPECT_EQ(j["models"][1]["styles"], json::array({"gulong"}));
  EXPECT_EQ(j["models"][2]["trained_styles"], json::array({"ancient"}));
}

TEST_F(ServeApi, SampleAnswersWhatTheCommandPrintsForTheSameSeed) {
  const auto [status, j] = post("/api/sample", R"({"n": 7, "seed": 11, "temperature": 0.8, "style": "jinyong"})");
  ASSERT_EQ(status, 200) << j.dump();
  EXPECT_EQ(j["seed"], 11);
  EXPECT_EQ(j["style"], "jinyong");
  EXPECT_EQ(j["checkpoint"], jinyong());
  const auto r = run_wuxia("sample --checkpoint " + jinyong() + " -n 7 --seed 11 --temperature 0.8 --label");
  ASSERT_EQ(r.code, 0) << r.out;
  std::string lines;
  for (const auto& s : j["names"]) lines += s["name"].get<std::string>() + "\t" + s["origin"].get<std::string>() + "\n";
  EXPECT_EQ(lines, r.out);
}

// The list refuses what `wuxia sample` refuses by default (words, bare
// surnames, rare endings): from a model this young, whose names those
// filters thin, the two lists are still the same.
TEST_F(ServeApi, SampleRefusesWhatTheCommandRefuses) {
  const auto [status, j] =
      post("/api/sample", R"({"n": 40, "seed": 4, "temperature": 1, "max-len": 16, "style": "jinyong"})");
  ASSERT_EQ(status, 200) << j.dump();
  const std::string common =
      "sample --checkpoint " + jinyong() + " -n 40 --seed 4 --temperature 1 --max-len 16 --label";
  const auto r = run_wuxia(common);
  const auto unfiltered = run_wuxia(common + " --allow-words --allow-rare-endings");
  ASSERT_EQ(r.code, 0) << r.out;
  std::string lines;
  for (const auto& s : j["names"]) lines += s["name"].get<std::string>() + "\t" + s["origin"].get<std::string>() + "\n";
  EXPECT_EQ(lines, r.out);
  EXPECT_NE(lines, unfiltered.out) << "the filters refuse nothing at this seed: the test cannot tell";
}

// As `wuxia sample`: no name shorter than the style's shortest training name
// (no bare surname from a cast) unless min-len says so.
// As `wuxia sample`: the list's lengths default to those of the style's
// training names (Jin Yong's: 2 to 5 characters), even at a wild temperature.
TEST_F(ServeApi, SampleDefaultsToTheTrainingNamesLengthRange) {
  auto lengths = [](const json& j) {
    std::pair<std::size_t, std::size_t> r{1000, 0};
    for (const auto& n : j["names"]) {
      const std::size_t k = wuxia::utf8::decode_or_throw(n["name"].get<std::string>(), "").size();
      r = {std::min(r.first, k), std::max(r.second, k)};
    }
    return r;
  };
  const auto [status, dflt] = post("/api/sample", R"({"n": 40, "seed": 4, "temperature": 3, "style": "jinyong"})");
  ASSERT_EQ(status, 200) << dflt.dump();
  EXPECT_EQ(lengths(dflt).first, 2u) << dflt.dump();
  EXPECT_LE(lengths(dflt).second, 5u) << dflt.dump();
  const auto one = post("/api/sample", R"({"n": 40, "seed": 4, "temperature": 3, "style": "jinyong", "min-len": 1})");
  ASSERT_EQ(one.first, 200) << one.second.dump();
  EXPECT_EQ(lengths(one.second).first, 1u) << one.second.dump();
  const auto longer =
      post("/api/sample", R"({"n": 40, "seed": 4, "temperature": 3, "style": "jinyong", "max-len": 16})");
  ASSERT_EQ(longer.first, 200) << longer.second.dump();
  EXPECT_GT(lengths(longer.second).second, 5u) << "the bound is what kept them short\n" << longer.second.dump();
}

TEST_F(ServeApi, SampleChoosesTheModelThatKnowsTheStyle) {
  const auto [status, j] = post("/api/sample", R"({"n": 3, "style": "gulong"})");
  ASSERT_EQ(status, 200) << j.dump();
  EXPECT_EQ(j["checkpoint"], gulong());
  EXPECT_EQ(j["names"].size(), 3u);
}

TEST_F(ServeApi, SampleWithoutASeedDrawsAFreshOneAndReportsIt) {
  const auto a = post("/api/sample", R"({"n": 5})").second;
  const auto b = post("/api/sample", R"({"n": 5})").second;
  ASSERT_TRUE(a["seed"].is_number_unsigned());
  EXPECT_NE(a["seed"], b["seed"]);
  EXPECT_LT(a["seed"].get<uint64_t>(), uint64_t{1} << 53);  // JavaScript can send it back
  const auto again = post("/api/sample", json({{"n", 5}, {"seed", a["seed"]}}).dump()).second;
  EXPECT_EQ(again["names"], a["names"]);
}

TEST_F(ServeApi, ASampleThatFallsShortSaysWhyAsTheCommandDoes) {
  // Names no longer than their prefix: one name at most can come.
  const auto [status, j] = post("/api/sample", R"({"n": 5, "prefix": "令狐", "max-len": 2, "seed": 1})");
  ASSERT_EQ(status, 200) << j.dump();
  EXPECT_LE(j["names"].size(), 1u);
  EXPECT_NE(j.value("shortfall", "").find(" of 5 names after "), std::string::npos) << j.dump();
}

TEST_F(ServeApi, EveryKindOfBadInputIs400NamingTheField) {
  struct Case {
    std::string body, field, says;
  };
  const std::vector<Case> cases = {
      {R"({"n": )", "", "malformed JSON"},
      {R"([1, 2])", "", "JSON object"},
      {R"({"n": -1})", "n", "from 0 to 1000"},
      {R"({"n": 100000})", "n", "from 0 to 1000"},
      {R"({"n": "five"})", "n", "integer"},
      {R"({"n": 2.5})", "n", "integer"},
      {R"({"temperature": 0})", "temperature", "greater than 0"},
      {R"({"temperature": "hot"})", "temperature", "number"},
      {R"({"top-p": 1.5})", "top-p", "(0, 1]"},
      {R"({"top-k": -2})", "top-k", "from 0"},
      {R"({"min-len": 5, "max-len": 2})", "max-len", "--min-len"},
      {R"({"prefix": "ABC"})", "prefix", "not in the model's vocabulary"},
      {R"({"style": "klingon"})", "style", "jinyong"},
      {R"({"checkpoint": "/etc/passwd"})", "checkpoint", "not served"},
      {R"({"novel": "yes"})", "novel", "true or false"},
      {R"({"seed": -3})", "seed", "integer"},
      {R"({"tempreature": 0.5})", "tempreature", "unknown field"},
  };
  for (const auto& c : cases) {
    const auto [status, j] = post("/api/sample", c.body);
    EXPECT_EQ(status, 400) << c.body;
    EXPECT_NE(j.value("error", "").find(c.says), std::string::npos) << c.body << " -> " << j.dump();
    EXPECT_EQ(j.value("field", ""), c.field) << c.body << " -> " << j.dump();
  }
}

// JSON Lines of a command, as a list.
json json_lines(const std::string& out) {
  json list = json::array();
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '{') list.push_back(json::parse(line));
  }
  return list;
}

TEST_F(ServeApi, NameAnswersWhatTheCommandPrintsWithTheHistoricalNamesModel) {
  const auto [status, j] = post("/api/name", R"({"surname": "林", "gender": "girl", "n": 5, "level": 2})");
  ASSERT_EQ(status, 200) << j.dump();
  EXPECT_EQ(j["checkpoint"], base());  // the model trained on `ancient`, as `wuxia name` defaults to the base
  EXPECT_EQ(j["style"], "ancient");
  ASSERT_FALSE(j["names"].empty());
  for (const auto& n : j["names"]) {
    EXPECT_EQ(n["surname"], "林");
    for (const char* field : {"pinyin", "pingze", "gender", "gloss", "sources", "score", "levels", "strokes"}) {
      EXPECT_TRUE(n.contains(field)) << field << " in " << n.dump();
    }
  }
  const auto r = run_wuxia("name --checkpoint " + base() + " --surname 林 --gender girl -n 5 --level 2 --json");
  EXPECT_EQ(j["names"], json_lines(r.out)) << r.out;
}

TEST_F(ServeApi, NameBadInputIs400NamingTheField) {
  struct Case {
    std::string body, field, says;
  };
  const std::vector<Case> cases = {
      {R"({"gender": "girl"})", "surname", "surname is required"},
      {R"({"surname": "林", "gender": "girly"})", "gender", "girl, boy or any"},
      {R"({"surname": "林", "level": 7})", "level", "level 7"},
      {R"({"surname": "林", "level": "one"})", "level", "integer"},
      {R"({"surname": "林", "tones": "平平"})", "tones", "3 characters"},
      {R"({"surname": "林", "tones": "xyz"})", "tones", "平, 仄 or ?"},
      {R"({"surname": "林", "given-len": 3})", "given-len", "1 or 2"},
      {R"({"surname": "林", "with": "家@3"})", "with", "1 or 2"},
      {R"({"surname": "林", "source": "红楼梦"})", "source", "红楼梦"},
      {R"({"surname": "林", "n": 0})", "n", "n 0"},
      {R"({"surname": "林", "n": 100000})", "n", "n 100000"},
      {R"({"surname": "林", "avoid": [1]})", "avoid", "strings"},
      {R"({"surname": "林", "allow-repeat": 1})", "allow-repeat", "true or false"},
      {R"({"surname": "林", "allow-sounds-like": 1})", "allow-sounds-like", "true or false"},
      {R"({"surname": "林", "era": "modern"})", "era", "expected today"},
      {R"({"surname": "林", "lean": 0.2})", "lean", "lean 0.2"},
      {R"({"surname": "杨", "with": "伟@1"})", "with", "杨伟 sounds like 阳痿"},
      {R"({"surname": "林", "sex": "girl"})", "sex", "unknown field"},
      {R"({"surname": "林", "checkpoint": "runs/x"})", "checkpoint", "not served"},
  };
  for (const auto& c : cases) {
    const auto [status, j] = post("/api/name", c.body);
    EXPECT_EQ(status, 400) << c.body;
    EXPECT_NE(j.value("error", "").find(c.says), std::string::npos) << c.body << " -> " << j.dump();
    EXPECT_EQ(j.value("field", ""), c.field) << c.body << " -> " << j.dump();
  }
}

TEST_F(ServeApi, NameSaysWhetherTheSurnameIsAKnownOne) {
  // 爱 (of 爱新觉罗, in the small model's names) is a character of the
  // tables but not of data/surnames.tsv: read as it is written, and the page
  // says so (as `wuxia name` notes on stderr).
  auto [status, j] = post("/api/name", R"({"surname": "爱", "n": 2})");
  ASSERT_EQ(status, 200) << j.dump();
  EXPECT_EQ(j["surname_known"], false);
  EXPECT_EQ(j["surname_reading"], "ài");
  std::tie(status, j) = post("/api/name", R"({"surname": "林", "n": 2})");
  ASSERT_EQ(status, 200) << j.dump();
  EXPECT_EQ(j["surname_known"], true);
  EXPECT_FALSE(j.contains("surname_reading"));
}

TEST_F(ServeApi, NameRefusesWhatTheCommandRefusesInItsWordsWithoutDashes) {
  // One builder and one set of checks behind both (build_name_request).
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"surname": "张", "source": "any", "given-len": 1})", "--surname 张 --source any --given-len 1"},
      {R"({"surname": "张", "max-strokes": 99})", "--surname 张 --max-strokes 99"},
      {R"({"surname": "张", "lean": 1})", "--surname 张 --lean 1"},
  };
  for (const auto& [body, flags] : cases) {
    const auto [status, j] = post("/api/name", body);
    ASSERT_EQ(status, 400) << body;
    const auto r = run_wuxia("name " + flags);
    EXPECT_EQ(r.code, 1) << flags;
    std::string said = j.value("error", "");
    ASSERT_FALSE(said.empty());
    // The command's words: the field it begins with, and the one "needs" names, as flags.
    said.insert(0, "--");
    if (const auto at = said.find(" needs "); at != std::string::npos) said.insert(at + 7, "--");
    EXPECT_NE(r.out.find(said), std::string::npos) << flags << "\nthe API: " << said << "\nthe command: " << r.out;
  }
}

TEST_F(ServeApi, ASurnameIsOneOrTwoCharactersAndALongOneIsRefusedAtOnce) {
  std::string long_surname;
  for (int i = 0; i < 5000; ++i) long_surname += "张";
  const auto t0 = std::chrono::steady_clock::now();
  auto [status, j] = post("/api/name", json{{"surname", long_surname}}.dump());
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(j["field"], "surname");
  EXPECT_NE(j.value("error", "").find("one or two characters"), std::string::npos) << j.dump();
  for (const std::string bad : {"张三丰", " ", "\u3000"}) {
    std::tie(status, j) = post("/api/name", json{{"surname", bad}}.dump());
    EXPECT_EQ(status, 400) << bad;
    EXPECT_EQ(j["field"], "surname") << bad;
  }
  // Spaces around are trimmed, as a form's field may carry them.
  std::tie(status, j) = post("/api/name", R"({"surname": "  林  ", "n": 2})");
  ASSERT_EQ(status, 200) << j.dump();
  for (const auto& n : j["names"]) EXPECT_EQ(n["surname"], "林");
}

TEST_F(ServeApi, ExplainAnswersWhatTheCommandPrints) {
  const auto [status, j] = post("/api/explain", R"({"names": ["林黛玉", "单雄信"]})");
  ASSERT_EQ(status, 200) << j.dump();
  const auto r = run_wuxia("explain 林黛玉 单雄信 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(j["names"], json_lines(r.out));
  EXPECT_EQ(j["names"][1]["pinyin"][0], "shàn");
  EXPECT_FALSE(j.contains("skipped"));
}

TEST_F(ServeApi, ExplainListsTheNamesItSkipsAnd400sWhenItCanReadNone) {
  auto [status, j] = post("/api/explain", R"({"names": ["林黛玉", "Bob"]})");
  ASSERT_EQ(status, 200) << j.dump();
  EXPECT_EQ(j["names"].size(), 1u);
  ASSERT_EQ(j["skipped"].size(), 1u);
  EXPECT_EQ(j["skipped"][0]["name"], "Bob");
  std::tie(status, j) = post("/api/explain", R"({"names": ["Bob"]})");
  EXPECT_EQ(status, 400);
  EXPECT_EQ(j["field"], "names");
  std::tie(status, j) = post("/api/explain", R"({"names": []})");
  EXPECT_EQ(status, 400);
  EXPECT_EQ(j["field"], "names");
  std::tie(status, j) = post("/api/explain", R"({"name": "林黛玉"})");
  EXPECT_EQ(status, 400);
}

TEST_F(ServeApi, ExplainWithACheckpointAddsThePercentile) {
  const auto [status, j] =
      post("/api/explain", json({{"names", {"林如玉"}}, {"checkpoint", base()}, {"samples", 200}}).dump());
  ASSERT_EQ(status, 200) << j.dump();
  const double p = j["names"][0].value("percentile", -1.0);
  EXPECT_GE(p, 0.0);
  EXPECT_LE(p, 100.0);
}

TEST_F(ServeApi, InvalidUtf8InAStringIs400) {
  const auto [status, j] = post("/api/sample", "{\"prefix\": \"\xff\"}");
  EXPECT_EQ(status, 400);
  EXPECT_TRUE(j.contains("error"));
}

TEST_F(ServeApi, ABodyOverOneMiBIs413) {
  const std::string big = R"({"prefix": ")" + std::string((1 << 20) + 10, 'a') + R"("})";
  auto res = client().Post("/api/sample", big, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_NE(json::parse(res->body).value("error", "").find("1 MiB"), std::string::npos);
  // Just under the limit is read (and then refused for what it says).
  const std::string fits = R"({"prefix": ")" + std::string((1 << 20) - 100, 'a') + R"("})";
  res = client().Post("/api/sample", fits, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
}

// A body sent in chunks (no Content-Length): `head`, then blocks of 'a' up
// to `total` bytes or until the server stops reading. Returns the status
// (-1: no answer, the connection cut) and the bytes sent.
std::pair<int, std::size_t> post_chunked(int port, const std::string& path, const std::string& head,
                                         std::size_t total) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(30, 0);
  c.set_write_timeout(5, 0);
  std::size_t sent = 0;
  const std::string block(64 * 1024, 'a');
  auto res = c.Post(
      path.c_str(),
      [&](std::size_t, httplib::DataSink& sink) {
        if (sent == 0 && !head.empty() && !sink.write(head.data(), head.size())) return false;
        if (sent >= total) {
          sink.done();
          return true;
        }
        if (!sink.write(block.data(), block.size())) return false;
        sent += block.size();
        return true;
      },
      "application/json");
  return {res ? res->status : -1, sent};
}

TEST_F(ServeApi, AChunkedBodyCountsAgainstTheSameLimit) {
  EXPECT_EQ(post_chunked(port_, "/api/sample", R"({"prefix": ")", 3 << 20).first, 413);
  // A huge one is cut off, not read whole: what the client got to send is
  // the limits and the sockets' buffers.
  const auto [status, sent] = post_chunked(port_, "/api/name", R"({"surname": ")", std::size_t{256} << 20);
  EXPECT_TRUE(status == 413 || status == -1) << status;
  EXPECT_LT(sent, std::size_t{64} << 20);
  // A chunked body under the limit is read as any other.
  httplib::Client c("127.0.0.1", port_);
  bool first = true;
  auto res = c.Post(
      "/api/sample",
      [&](std::size_t, httplib::DataSink& sink) {
        const std::string body = R"({"n": 2, "seed": 3})";
        if (first) sink.write(body.data(), body.size());
        if (!first) sink.done();
        first = false;
        return true;
      },
      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  // Nor does a path without a route read a body whole.
  EXPECT_LT(post_chunked(port_, "/nope", "", std::size_t{256} << 20).second, std::size_t{64} << 20);
  EXPECT_LT(post_chunked(port_, "/api/health", "", std::size_t{256} << 20).second, std::size_t{64} << 20);
  EXPECT_EQ(get("/api/health").first, 200);  // and the server is none the worse
}

TEST_F(ServeApi, OtherMethodsAre405OnKnownPathsAnd404Elsewhere) {
  httplib::Client c = client();
  for (const std::string path : {"/api/sample", "/api/health", "/"}) {
    auto res = c.Put(path.c_str(), "{}", "application/json");
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 405) << path;
    EXPECT_FALSE(res->get_header_value("Allow").empty()) << path;
    res = c.Delete(path.c_str());
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 405) << path;
    res = c.Options(path.c_str());
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 405) << path;
    res = c.Patch(path.c_str(), "{}", "application/json");
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 405) << path;
  }
  auto res = c.Put("/nope", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST_F(ServeApi, UnknownPathsAre404AndNoUrlReachesTheFileSystem) {
  for (const std::string path :
       {"/nope", "/api/nope", "/index.html", "/app.js/", "/../CMakeLists.txt", "/%2e%2e/%2e%2e/etc/passwd",
        "/src/serve/page/app.js", "//etc/passwd", "/app.jsx", "/appxjs"}) {
    auto res = client().Get(path.c_str());
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << path;
  }
}

TEST_F(ServeApi, OnLoopbackOnlyRequestsForThisMachineAreAnswered) {
  // A page elsewhere that points its own name at 127.0.0.1 (DNS rebinding) sends its own Host.
  for (const std::string& host :
       std::vector<std::string>{"evil.example", "evil.example:" + std::to_string(port_), "192.168.1.5"}) {
    auto res = client().Get("/api/health", {{"Host", host}});
    ASSERT_TRUE(res) << host;
    EXPECT_EQ(res->status, 403) << host;
    EXPECT_NE(json::parse(res->body).value("error", "").find("is not this machine"), std::string::npos);
  }
  for (const std::string& host :
       std::vector<std::string>{"localhost:" + std::to_string(port_), "127.0.0.1:" + std::to_string(port_),
                                "[::1]:" + std::to_string(port_), "LOCALHOST"}) {
    auto res = client().Get("/api/health", {{"Host", host}});
    ASSERT_TRUE(res) << host;
    EXPECT_EQ(res->status, 200) << host;
  }
}

TEST_F(ServeApi, TheHostCheckIsAnExactListNotAPrefix) {
  const std::string port = std::to_string(port_);
  for (const std::string& host : std::vector<std::string>{
           "127.evil.example", "127.0.0.1.evil.example", "localhost.evil.example", "127.0.0.2", "[::1].evil",
           "127.0.0.1:" + std::to_string(port_ + 1), "localhost:" + port + "0", "localhost:", "[::1]x"}) {
    auto res = client().Get("/api/health", {{"Host", host}});
    ASSERT_TRUE(res) << host;
    EXPECT_EQ(res->status, 403) << host;
  }
  for (const std::string& host : std::vector<std::string>{"localhost", "127.0.0.1", "[::1]", "Localhost:" + port}) {
    auto res = client().Get("/api/health", {{"Host", host}});
    ASSERT_TRUE(res) << host;
    EXPECT_EQ(res->status, 200) << host;
  }
}

TEST_F(ServeApi, AllowHostAddsExactlyTheNamesGiven) {
  wuxia::ServeOptions o;
  o.checkpoints = {jinyong()};
  o.port = 0;
  o.workers = 1;
  o.allowed_hosts = {"mybox.local"};
  std::ostringstream log;
  wuxia::Server server(o, log);
  const int port = server.bind();
  std::thread t([&] { server.run(); });
  httplib::Client c("127.0.0.1", port);
  for (const auto& [host, status] :
       std::vector<std::pair<std::string, int>>{{"mybox.local", 200},
                                                {"MYBOX.local:" + std::to_string(port), 200},
                                                {"mybox.local.evil", 403},
                                                {"evil.mybox.local", 403},
                                                {"127.0.0.1", 200}}) {
    auto res = c.Get("/api/health", {{"Host", host}});
    EXPECT_TRUE(res && res->status == status) << host;
  }
  server.stop();
  t.join();
  o.allowed_hosts = {"mybox.local:80"};
  EXPECT_THROW(o.validate(), wuxia::Error);
}

TEST_F(ServeApi, AKnownPathWithTheWrongMethodIs405) {
  auto res = client().Get("/api/sample");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->get_header_value("Allow"), "POST");
  res = client().Post("/api/models", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
}

TEST_F(ServeApi, ThePageIsServedFromTheBinaryAsWritten) {
  const std::string page_dir = std::string(WUXIA_TEST_DIR) + "/../src/serve/page/";
  const std::vector<std::tuple<std::string, std::string, std::string>> files = {
      {"/", "index.html", "text/html"},
      {"/app.js", "app.js", "text/javascript"},
      {"/style.css", "style.css", "text/css"}};
  for (const auto& [url, file, type] : files) {
    auto res = client().Get(url.c_str());
    ASSERT_TRUE(res) << url;
    EXPECT_EQ(res->status, 200) << url;
    EXPECT_EQ(res->get_header_value("Content-Type").rfind(type, 0), 0u) << url;
    EXPECT_EQ(res->body, wuxia::test::read_file(page_dir + file)) << url;
    // Nothing from another origin: the page works offline.
    EXPECT_NE(res->get_header_value("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  }
  const std::string page = client().Get("/")->body;
  for (const char* id : {"id=\"surname\"", "id=\"gender\"", "id=\"generate\"", "id=\"results\"", "value=\"girl\"",
                         "value=\"boy\"", "value=\"any\""}) {
    EXPECT_NE(page.find(id), std::string::npos) << id;
  }
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
}

TEST_F(ServeApi, ParallelRequestsGetTheAnswersTheyGetAlone) {
  // Shared activation buffers would mix the requests' names up. Samples from
  // two models and names from the third, interleaved.
  constexpr int kClients = 8, kEach = 4;
  const std::vector<std::string> surnames = {"林", "王", "李"};  // in the small model's slice of names
  auto request = [&](int i) -> std::pair<std::string, std::string> {
    if (i % 4 == 3) return {"/api/name", json({{"surname", surnames[i / 4 % 3]}, {"n", 4}}).dump()};
    return {"/api/sample", json({{"n", 6}, {"seed", 100 + i}, {"style", i % 2 ? "gulong" : "jinyong"}}).dump()};
  };
  std::vector<json> alone(kClients * kEach);
  for (int i = 0; i < kClients * kEach; ++i) {
    const auto [path, body] = request(i);
    alone[i] = post(path, body).second["names"];
  }
  std::vector<json> together(kClients * kEach);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int k = 0; k < kEach; ++k) {
        const int i = c * kEach + k;
        const auto [path, body] = request(i);
        together[i] = post(path, body).second["names"];
      }
    });
  }
  for (auto& t : clients) t.join();
  for (int i = 0; i < kClients * kEach; ++i) {
    ASSERT_FALSE(alone[i].empty()) << i;
    EXPECT_EQ(together[i], alone[i]) << i;
  }
  EXPECT_TRUE(log_.str().empty()) << log_.str();  // no request failed inside
}

TEST_F(ServeApi, HealthAnswersWithin3SecondsBesideClientsTricklingARequestAByteASecond) {
  // Each trickler holds a connection thread: cpp-httplib's read timeout is
  // per recv(), so a byte a second never trips it. The fixture's server has
  // 3 workers; more tricklers than its old thread count (max(8, 2 x 3)).
  constexpr int kTricklers = 12;
  std::atomic<bool> done{false};
  std::vector<std::thread> tricklers;
  std::atomic<int> connected{0};
  for (int i = 0; i < kTricklers; ++i) {
    tricklers.emplace_back([&] {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      if (fd < 0) return;
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port_));
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        ++connected;
        const std::string request = "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
        for (std::size_t k = 0; !done; ++k) {
          const char c = k < request.size() ? request[k] : 'x';  // never the blank line that ends the headers
          if (::send(fd, &c, 1, MSG_NOSIGNAL) != 1) break;
          for (int t = 0; t < 10 && !done; ++t) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
      ::close(fd);
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // each has sent a byte or two
  httplib::Client c("127.0.0.1", port_);
  c.set_connection_timeout(3, 0);
  c.set_read_timeout(3, 0);
  const auto start = std::chrono::steady_clock::now();
  auto res = c.Get("/api/health");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  done = true;
  for (auto& t : tricklers) t.join();
  EXPECT_EQ(connected, kTricklers);
  ASSERT_TRUE(res) << "no answer within 3 s beside " << kTricklers << " trickling clients";
  EXPECT_EQ(res->status, 200);
  EXPECT_LT(seconds, 3.0);
}

// ---- the command ----

namespace {

// `wuxia serve ARGS` as a child process, its stdout and stderr read through a pipe.
class ServeProcess {
 public:
  explicit ServeProcess(const std::vector<std::string>& args) {
    // Built before fork: the child of a threaded process may not allocate.
    std::vector<char*> argv{const_cast<char*>(WUXIA_BINARY), const_cast<char*>("serve")};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      ::dup2(fds[1], 2);
      ::close(fds[0]);
      ::execv(WUXIA_BINARY, argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    fd_ = fds[0];
  }
  ~ServeProcess() {
    if (pid_ > 0 && !waited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(fd_);
  }
  // Reads output until it holds `text` or the process ends; returns all read.
  std::string read_until(const std::string& text) {
    char buf[4096];
    while (out_.find(text) == std::string::npos) {
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      out_.append(buf, static_cast<std::size_t>(n));
    }
    return out_;
  }
  // The port of the URL printed ("http://127.0.0.1:PORT/"), 0 if none.
  int port() {
    const std::string out = read_until("/ (Ctrl-C");
    const auto at = out.find("http://127.0.0.1:");
    return at == std::string::npos ? 0 : std::stoi(out.substr(at + 17));
  }
  void signal(int sig) { ::kill(pid_, sig); }
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    waited_ = true;
    read_until("\x01never");  // the rest of the output
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  const std::string& out() const { return out_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  bool waited_ = false;
  std::string out_;
};

}  // namespace

TEST_F(ServeApi, TheCommandPrintsItsUrlAnswersAndStopsOnSigtermOrSigint) {
  for (int sig : {SIGTERM, SIGINT}) {
    ServeProcess p({"--checkpoint", jinyong(), "--port", "0"});
    const int port = p.port();
    ASSERT_GT(port, 0) << p.out();
    httplib::Client c("127.0.0.1", port);
    auto res = c.Get("/api/health");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    p.signal(sig);
    EXPECT_EQ(p.wait(), 0) << p.out();
    EXPECT_NE(p.out().find(sig == SIGINT ? "stopped (SIGINT)" : "stopped (SIGTERM)"), std::string::npos) << p.out();
  }
}

TEST_F(ServeApi, TheCommandWarnsWhenListeningBeyondThisMachine) {
  ServeProcess p({"--checkpoint", jinyong(), "--port", "0", "--host", "0.0.0.0"});
  ASSERT_GT(p.port(), 0) << p.out();
  EXPECT_NE(p.out().find("warning: --host 0.0.0.0 accepts connections from other machines"), std::string::npos);
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(), 0);
}

TEST(ServeCommand, WithoutAnyModelItSaysHowToMakeOne) {
  wuxia::test::TempDir empty;
  const auto r = wuxia::test::run_command("cd " + empty.path().string() + " && " + WUXIA_BINARY + " serve --port 0");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("runs/default/best.safetensors is missing: `wuxia train` makes it"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no model to serve: run `wuxia train` first"), std::string::npos) << r.out;
}

TEST(ServeCommand, BadFlagsAreErrorsNamingTheFlag) {
  wuxia::test::TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"serve --port 70000", "--port must be from 0"},
      {"serve --port -1", "--port must be from 0"},
      {"serve --workers 0", "--workers must be from 1"},
      {"serve --checkpoint " + dir.file("missing.safetensors"), "missing.safetensors: no such checkpoint"},
      {"serve --no-such-flag", "no-such-flag"},
  };
  for (const auto& [args, says] : cases) {
    const auto r = run_wuxia(args);
    EXPECT_EQ(r.code, 1) << args << "\n" << r.out;
    EXPECT_NE(r.out.find(says), std::string::npos) << args << "\n" << r.out;
  }
}

TEST_F(ServeApi, APortInUseIsAClearError) {
  // (timeout: were the port shared, the command would serve rather than fail)
  const auto r = wuxia::test::run_command("timeout 60 " + std::string(WUXIA_BINARY) + " serve --checkpoint " +
                                          jinyong() + " --port " + std::to_string(port_));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("cannot listen there"), std::string::npos) << r.out;
}
