// Writes seed inputs for the fuzzers: make_seeds CHECKPOINT_DIR NAMES_DIR
// The seeds are as small as the formats allow while still reaching every part
// of the loaders (moments, two layers, lineage, a finite and an infinite best
// loss, multi-byte characters): a mutated input costs about its size to parse,
// and libFuzzer's inputs stay near the seeds' size for most of a run.
#include <fstream>
#include <string>

#include "wuxia/store/checkpoint.hpp"

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const std::string ck_dir = argv[1], names_dir = argv[2];
  // One style, one character, E = H = 1, one layer, with the AdamW moments.
  wuxia::Checkpoint ck;
  ck.styles = {"a"};
  ck.chars = {U'狐'};
  ck.config = wuxia::ModelConfig{3, 1, 1, 1, 0.1};
  ck.params = wuxia::init_params(ck.config, 1);
  ck.adam_m.assign(ck.params.size(), 0.f);
  ck.adam_v.assign(ck.params.size(), 0.f);
  ck.train_names = {{U"狐"}};
  ck.val_names = {{U"狐狐"}};
  wuxia::save_checkpoint(ck_dir + "/seed.safetensors", ck);
  // Two styles, two layers, no moments, a best loss and a lineage.
  wuxia::Checkpoint ft;
  ft.styles = {"a", "b"};
  ft.chars = {U'令', U'狐'};
  ft.config = wuxia::ModelConfig{5, 1, 1, 2, 0.1};
  ft.params = wuxia::init_params(ft.config, 2);
  ft.train_names = {{U"令狐"}, {U"狐"}};
  ft.val_names = {{}, {U"令"}};
  ft.state.step = 3;
  ft.state.best_val_loss = 2.5;
  ft.state.best_step = 2;
  ft.state.evals_since_best = 1;
  ft.lineage = {{"b.safetensors", "crc32:0123abcd", 1}};
  wuxia::save_checkpoint(ck_dir + "/seed-lineage.safetensors", ft);
  std::ofstream(names_dir + "/plain.txt") << "# 笑傲江湖\n令狐冲\n任我行\n\n东方不败\n令狐冲\n";
  std::ofstream(names_dir + "/bom-crlf.txt") << "\xEF\xBB\xBF张三\r\n  李四 \r\n# x\r\n";
  std::ofstream(names_dir + "/mixed.txt") << "a\xC3\xA9\xF0\x9F\x90\x89\n\t \xE3\x80\x80王\n";
  return 0;
}
