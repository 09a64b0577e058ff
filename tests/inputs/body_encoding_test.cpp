// gunzip's bounds and framing: several members are one body, the bound is exact, and anything
// else after a member is corruption rather than bytes dropped in silence.

#include <gtest/gtest.h>

#include "budgetd/inputs/body_encoding.h"
#include "gzip.h"

namespace budgetd::inputs {
namespace {

using test::gzip;

TEST(Gunzip, SeveralMembersAreOneBody) {
  const std::string first = "{\"service\":\"checkout\",\"good\":true}\n";
  const std::string second = "{\"service\":\"checkout\",\"good\":false}\n";
  const Result<std::string> both = gunzip(gzip(first) + gzip(second), 1 << 20);
  ASSERT_TRUE(both.ok()) << both.status().message();
  EXPECT_EQ(*both, first + second);
}

TEST(Gunzip, TheBoundIsExact) {
  const std::string body(100'000, 'x');
  const Result<std::string> at = gunzip(gzip(body), body.size());
  ASSERT_TRUE(at.ok()) << at.status().message();
  EXPECT_EQ(at->size(), body.size());
  const Result<std::string> over = gunzip(gzip(body), body.size() - 1);
  EXPECT_EQ(over.status().code(), StatusCode::kOutOfRange);
  // Over the bound only in a later member: still refused.
  EXPECT_EQ(gunzip(gzip(body) + gzip("y"), body.size()).status().code(), StatusCode::kOutOfRange);
}

TEST(Gunzip, TrailingBytesAndTruncationAreCorruption) {
  const std::string member = gzip("{\"events\":[]}");
  EXPECT_EQ(gunzip(member + "garbage", 1 << 20).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(gunzip(member.substr(0, member.size() - 4), 1 << 20).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace budgetd::inputs
