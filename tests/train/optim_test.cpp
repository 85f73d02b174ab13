#include <gtest/gtest.h>
TEST(Stuboptim, Pending) { SUCCEED(); }
