// wuxia: train a character-level LSTM on lists of names and invent new ones.
#include <cstring>
#include <iostream>
#include <string>

#include "cli.hpp"
#include "wuxia/error.hpp"

namespace {

const char* kUsage =
    "wuxia: a character-level LSTM that invents names\n"
    "\n"
    "usage: wuxia <command> [flags]   (wuxia <command> --help for its flags)\n"
    "\n"
    "commands:\n"
    "  train    train a model on name lists (default: the bundled Jin Yong cast)\n"
    "  sample   invent names from a checkpoint\n"
    "  eval     mean NLL per character of names under a checkpoint\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  try {
    // Each subcommand sees its own name as argv[0].
    if (cmd == "train") return wuxia::cli::cmd_train(argc - 1, argv + 1);
    if (cmd == "sample") return wuxia::cli::cmd_sample(argc - 1, argv + 1);
    if (cmd == "eval") return wuxia::cli::cmd_eval(argc - 1, argv + 1);
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
