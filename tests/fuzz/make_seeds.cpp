// Writes seed inputs for the fuzzers: make_seeds CHECKPOINT_DIR NAMES_DIR
#include <fstream>
#include <string>

#include "wuxia/checkpoint.hpp"

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  wuxia::Checkpoint ck;
  ck.styles = {"a", "b"};
  ck.chars = {U'令', U'冲', U'狐'};
  ck.config = wuxia::ModelConfig{6, 2, 3, 2, 0.1};
  ck.params = wuxia::init_params(ck.config, 1);
  ck.adam_m.assign(ck.params.size(), 0.f);
  ck.adam_v.assign(ck.params.size(), 0.f);
  ck.train_names = {{U"令狐冲"}, {U"狐"}};
  ck.val_names = {{U"冲"}, {}};
  wuxia::save_checkpoint(std::string(argv[1]) + "/seed.safetensors", ck);
  ck.adam_m.clear();
  ck.adam_v.clear();
  ck.config.layers = 1;
  ck.params = wuxia::init_params(ck.config, 2);
  wuxia::save_checkpoint(std::string(argv[1]) + "/seed-no-moments.safetensors", ck);
  std::ofstream(std::string(argv[2]) + "/plain.txt") << "# 笑傲江湖\n令狐冲\n任我行\n\n东方不败\n令狐冲\n";
  std::ofstream(std::string(argv[2]) + "/bom-crlf.txt") << "\xEF\xBB\xBF张三\r\n  李四 \r\n# x\r\n";
  std::ofstream(std::string(argv[2]) + "/mixed.txt") << "a\xC3\xA9\xF0\x9F\x90\x89\n\t \xE3\x80\x80王\n";
  return 0;
}
