#pragma once
// Shared pieces of the `wuxia` subcommands.
#include <cxxopts.hpp>
#include <iosfwd>
#include <memory>
#include <string>

#include "wuxia/infer/ensemble.hpp"
#include "wuxia/model/backend.hpp"
#include "wuxia/model/model.hpp"
#include "wuxia/platform/device.hpp"
#include "wuxia/store/checkpoint.hpp"

namespace wuxia::cli {

inline constexpr const char* kDefaultOut = "runs/default";

// data/jinyong.txt in the working folder, else the one in the source tree.
std::string default_data_path();
// What `wuxia train` learns when given no --data: both bundled casts,
// data/jinyong.txt and data/gulong.txt, as styles jinyong and gulong.
std::vector<DataSpec> default_data();
std::string default_checkpoint();  // runs/default/best.safetensors

// --device and --threads, the flags every command that runs a model has.
void add_device_flags(cxxopts::Options& opts, const std::string& default_device, int default_threads);
std::string device_flag(const cxxopts::ParseResult& r);
int threads_flag(const cxxopts::ParseResult& r);  // throws unless >= 0
// --recurrence auto|steps|fused (train, bench, verify): how the backend runs
// each layer's recurrence (Backend::set_recurrence). recurrence_flag throws
// naming the flag on another value.
void add_recurrence_flag(cxxopts::Options& opts);
RecurrencePath recurrence_flag(const cxxopts::ParseResult& r);
// --style NAME as the model's style index; `fallback` when the flag is absent.
// Throws naming the styles the model knows.
int style_flag(const cxxopts::ParseResult& r, const Vocab& vocab, int fallback);
// --convert t2s|s2t (OpenCC), added with the help text of the command.
void add_convert_flag(cxxopts::Options& opts, const std::string& help);
std::string convert_flag(const cxxopts::ParseResult& r);  // "" when absent; throws on another value

// A checkpoint loaded into a model on the chosen backend.
struct Loaded {
  Checkpoint ck;
  Vocab vocab;
  BackendChoice be;
  std::unique_ptr<Model<float>> model;
};
Loaded load_model(const std::string& path, const std::string& device, int threads, std::ostream& err);
// Every --checkpoint given, in order (the flag may be repeated), else `fallback`.
std::vector<std::string> checkpoint_flags(const cxxopts::ParseResult& r, const std::string& fallback);
// Several checkpoints read as one (wuxia/infer/ensemble.hpp): members[0] gives
// the vocabulary, the known names and the default style.
struct LoadedEnsemble {
  std::vector<std::string> paths;
  std::vector<Loaded> members;
  std::unique_ptr<Ensemble> ensemble;  // over members' models
  const Loaded& first() const { return members.front(); }
  const Vocab& vocab() const { return members.front().vocab; }
};
// Loads each path (load_model), checks that they share one vocabulary
// (check_same_vocab names both files otherwise).
LoadedEnsemble load_ensemble(const std::vector<std::string>& paths, const std::string& device, int threads,
                             std::ostream& err);
// The same from every --checkpoint (default `fallback`), --device and --threads.
LoadedEnsemble load_ensemble(const cxxopts::ParseResult& r, const std::string& fallback, std::ostream& err);
// The lineage of a fine-tuned checkpoint, one line ("" for a model trained from scratch).
std::string describe_lineage(const Checkpoint& ck);

// Parses argv with `opts`; prints help and returns false on --help.
// Throws wuxia::Error on unknown flags, bad values and stray arguments
// (unless allow_positional).
bool parse(cxxopts::Options& opts, int argc, char** argv, cxxopts::ParseResult& out, bool allow_positional = false);

int cmd_train(int argc, char** argv);
int cmd_sample(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_verify(int argc, char** argv);  // src/cli/verify_cmd.cpp: CPU vs GPU parity run
int cmd_bench(int argc, char** argv);
int cmd_score(int argc, char** argv);
int cmd_classify(int argc, char** argv);
int cmd_name(int argc, char** argv);     // src/cli/naming_cmds.cpp
int cmd_explain(int argc, char** argv);  // src/cli/naming_cmds.cpp
int cmd_serve(int argc, char** argv);    // src/cli/serve_cmd.cpp: the page and its API (src/serve/)

bool stdout_is_tty();

// The model-shape flags shared by train, bench and verify: --embed, --hidden,
// --layers, --dropout, with `defaults` shown as their defaults.
void add_model_flags(cxxopts::Options& opts, const ModelConfig& defaults, const std::string& dropout_help);
// Reads them back into `cfg` (vocab untouched).
void read_model_flags(const cxxopts::ParseResult& r, ModelConfig& cfg);

}  // namespace wuxia::cli
