// wuxia: train a character-level LSTM on lists of names and invent new ones.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "cli.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/platform/version.hpp"

namespace {

const char* kUsage =
    "wuxia: a character-level LSTM that invents names\n"
    "\n"
    "usage: wuxia <command> [flags]   (wuxia <command> --help for its flags)\n"
    "       wuxia --version\n"
    "\n"
    "commands:\n"
    "  train    train a model on name lists (default: both bundled casts, Jin Yong's and Gu Long's)\n"
    "  sample   invent names from a checkpoint\n"
    "  eval     mean NLL per character of names under a checkpoint\n"
    "  verify   train on the CPU and the GPU side by side and compare them step by step\n"
    "  bench    training speed: tokens/s, step time and peak memory on a fixed workload\n"
    "  score    log-likelihood of names and their percentile among the model's samples\n"
    "  classify which style (corpus) a name most likely comes from\n"
    "  name     names a family could give: a shortlist for a surname, sex, tones, level...\n"
    "  explain  what a name is made of: readings, 平仄, strokes, levels, sex lean, glosses, classics\n"
    "  serve    a page on this machine (wuxia names, naming a child, explaining a name) and its JSON API\n";

// Every command's output reaches stdout through std::cout (stdio's buffer
// underneath): a failed write (a full disk, a closed pipe, /dev/full) shows
// on the final flush, and must not pass for success. A command that failed
// has said why already.
int checked_exit(const std::string& cmd, int code) {
  if (code != 0) return code;
  errno = 0;
  std::cout.flush();
  const bool failed = !std::cout || std::fflush(stdout) != 0 || std::ferror(stdout);
  if (!failed) return code;
  const int err = errno;
  std::cerr << "wuxia" << (cmd.empty() ? "" : " " + cmd) << ": error: writing to standard output failed"
            << (err ? std::string(": ") + std::strerror(err) : std::string()) << "\n";
  return 1;
}

int run(const std::string& cmd, int argc, char** argv) {
  try {
    // Each subcommand sees its own name as argv[0].
    if (cmd == "train") return wuxia::cli::cmd_train(argc - 1, argv + 1);
    if (cmd == "sample") return wuxia::cli::cmd_sample(argc - 1, argv + 1);
    if (cmd == "eval") return wuxia::cli::cmd_eval(argc - 1, argv + 1);
    if (cmd == "verify") return wuxia::cli::cmd_verify(argc - 1, argv + 1);
    if (cmd == "bench") return wuxia::cli::cmd_bench(argc - 1, argv + 1);
    if (cmd == "score") return wuxia::cli::cmd_score(argc - 1, argv + 1);
    if (cmd == "classify") return wuxia::cli::cmd_classify(argc - 1, argv + 1);
    if (cmd == "name") return wuxia::cli::cmd_name(argc - 1, argv + 1);
    if (cmd == "explain") return wuxia::cli::cmd_explain(argc - 1, argv + 1);
    if (cmd == "serve") return wuxia::cli::cmd_serve(argc - 1, argv + 1);
    std::cerr << "wuxia: unknown command '" << cmd << "'\n\n" << kUsage;
    return 2;
  } catch (const wuxia::Error& e) {
    std::cerr << "wuxia " << cmd << ": error: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "wuxia " << cmd << ": error: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "wuxia " << cmd << ": error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    std::cout << kUsage;
    return checked_exit("", argc < 2 ? 2 : 0);
  }
  if (!std::strcmp(argv[1], "--version") || !std::strcmp(argv[1], "version")) {
    std::cout << wuxia::version_text();
    return checked_exit("", 0);
  }
  const std::string cmd = argv[1];
  return checked_exit(cmd, run(cmd, argc, argv));
}
