#include "budgetd/core/echo.h"

#include <gtest/gtest.h>

namespace budgetd {
namespace {

TEST(BoundedEcho, ShortInputIsEchoedWhole) {
  EXPECT_EQ(bounded_echo("region"), "region");
  EXPECT_EQ(bounded_echo(std::string(64, 'k')), std::string(64, 'k'));
  EXPECT_EQ(bounded_echo(""), "");
}

TEST(BoundedEcho, LongInputIsCutWithItsSize) {
  EXPECT_EQ(bounded_echo(std::string(7 << 20, 'k')), std::string(64, 'k') + "...(cut; 7340032 bytes)");
  EXPECT_EQ(bounded_echo("abcdef", 3), "abc...(cut; 6 bytes)");
}

TEST(BoundedEcho, TheCutNeverSplitsAUtf8Character) {
  // "é" is two bytes: a cut after 3 bytes of "aéé" would split the second one.
  EXPECT_EQ(bounded_echo("a\xc3\xa9\xc3\xa9", 4), "a\xc3\xa9...(cut; 5 bytes)");
  EXPECT_EQ(bounded_echo("\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 6), "\xf0\x9f\x98\x80...(cut; 8 bytes)");
  // Not UTF-8 at all: cut anyway, at most 3 bytes short.
  EXPECT_EQ(bounded_echo(std::string(10, '\x80'), 5).substr(0, 2), "\x80\x80");
}

}  // namespace
}  // namespace budgetd
