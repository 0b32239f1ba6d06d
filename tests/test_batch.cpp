#include <gtest/gtest.h>

#include <set>

#include "wuxia/data/batch.hpp"
#include "wuxia/data/vocab.hpp"
#include "wuxia/platform/error.hpp"

using namespace wuxia;

TEST(Vocab, EndThenStartsThenCharactersByCodePoint) {
  const Vocab v({"jinyong", "gulong"}, {U'狐', U'令', U'冲'});
  EXPECT_EQ(v.size(), 6);
  EXPECT_EQ(v.start_id(0), 1);
  EXPECT_EQ(v.start_id(1), 2);
  EXPECT_EQ(v.id_of(U'令'), 3);  // U+4EE4 < U+51B2 < U+72D0
  EXPECT_EQ(v.id_of(U'冲'), 4);
  EXPECT_EQ(v.id_of(U'狐'), 5);
  EXPECT_EQ(v.id_of(U'龙'), -1);
  EXPECT_EQ(v.char_of(5), U'狐');
}

TEST(Batch, IsTimeMajorWithEndTargetsAndPaddingAtTheEnd) {
  const Vocab v({"s"}, {U'a', U'b', U'c'});
  std::vector<Example> ex(2);
  ASSERT_TRUE(encode_name(v, 0, U"abc", ex[0]));
  ASSERT_TRUE(encode_name(v, 0, U"b", ex[1]));
  EXPECT_FALSE(encode_name(v, 0, U"x", ex[1]));
  const Batch b = make_batch(ex, {0, 1});
  EXPECT_EQ(b.T, 4);
  EXPECT_EQ(b.B, 2);
  // tokens[t][b]: START=1, a=2, b=3, c=4; END=0
  EXPECT_EQ(b.tokens, (std::vector<int32_t>{1, 1, 2, 3, 3, 0, 4, 0}));
  EXPECT_EQ(b.targets, (std::vector<int32_t>{2, 3, 3, 0, 4, -1, 0, -1}));
  EXPECT_EQ(b.lengths, (std::vector<int32_t>{4, 2}));
  EXPECT_EQ(b.num_targets, 6u);
}

TEST(Batcher, EpochCoversEveryExampleOnceAndIsReproducible) {
  std::vector<Example> ex(23);
  for (int i = 0; i < 23; ++i) ex[i].seq.assign(1 + i % 4, 7 + i);  // unique first-after-START token
  Batcher a(ex, 5, 3), b(ex, 5, 3);
  ASSERT_EQ(a.batches_per_epoch(), 5u);
  std::multiset<int32_t> seen;
  for (uint64_t k = 0; k < 5; ++k) {
    const Batch x = a.batch(k), y = b.batch(k);
    EXPECT_EQ(x.tokens, y.tokens);
    for (int j = 0; j < x.B; ++j) seen.insert(x.tokens[j]);
  }
  EXPECT_EQ(seen.size(), 23u);
  EXPECT_EQ(std::set<int32_t>(seen.begin(), seen.end()).size(), 23u);
  // Batch k of a fresh batcher equals batch k of one that has run ahead (resume).
  Batcher c(ex, 5, 3);
  EXPECT_EQ(c.batch(7).tokens, a.batch(7).tokens);
  // The next epoch is shuffled differently.
  bool differs = false;
  for (uint64_t k = 0; k < 5; ++k) differs |= a.batch(k).tokens != a.batch(k + 5).tokens;
  EXPECT_TRUE(differs);
}

TEST(Batcher, BatchesAreBucketedByLength) {
  std::vector<Example> ex(40);
  for (int i = 0; i < 40; ++i) ex[i].seq.assign(2 + i % 2 * 3, 5);  // lengths 2 and 5
  Batcher bt(ex, 10, 1);
  int padded = 0;
  for (uint64_t k = 0; k < 4; ++k) {
    const Batch b = bt.batch(k);
    padded += static_cast<int>(b.T * b.B - b.num_targets);
  }
  EXPECT_EQ(padded, 0);
}

TEST(Permutation, IsAPermutationKeyedBySeed) {
  const auto p = permutation(100, 1, 2, 3);
  EXPECT_EQ(std::set<std::size_t>(p.begin(), p.end()).size(), 100u);
  EXPECT_EQ(p, permutation(100, 1, 2, 3));
  EXPECT_NE(p, permutation(100, 2, 2, 3));
}
