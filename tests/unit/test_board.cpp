#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "evently/board.hpp"
#include "evently/cache.hpp"
#include "evently/tickets.hpp"
#include "evently/time.hpp"

using evently::Board;
using evently::LruCache;

namespace {

// A board file of its own for each test; two Boards on one file stand for
// two processes of a host.
class BoardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/evently-board-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/board";
  }
  void TearDown() override {
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string dir_, path_;
};

constexpr int64_t kSecond = 1000000;

}  // namespace

TEST_F(BoardTest, TheFileIsMadePrivateAndSizedForEverySlot) {
  Board board(path_, kSecond);
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), (Board::kSlots + 1) * sizeof(uint64_t));
}

TEST_F(BoardTest, ATouchIsSeenThroughEveryMappingOfTheFile) {
  Board reader(path_, kSecond);
  Board writer(path_, kSecond);
  const uint64_t before = reader.mark(Board::Kind::event, 42);
  const uint64_t other = reader.mark(Board::Kind::event, 43);
  writer.touch(Board::Kind::event, 42);
  EXPECT_NE(reader.mark(Board::Kind::event, 42), before);
  EXPECT_EQ(reader.mark(Board::Kind::event, 43), other) << "another event's answers stay";
  writer.touch(Board::Kind::event, 42);
  EXPECT_EQ(reader.mark(Board::Kind::event, 42), before + 2) << "every touch moves the mark";
}

TEST_F(BoardTest, AMappingMadeLaterSeesEarlierTouches) {
  {
    Board writer(path_, kSecond);
    writer.touch(Board::Kind::catalog, 0);
  }
  Board reader(path_, kSecond);
  EXPECT_EQ(reader.mark(Board::Kind::catalog, 0), 1u);
}

TEST_F(BoardTest, KindsAndKeysAreApart) {
  Board board(path_, kSecond);
  const uint64_t ticket12 = board.mark(Board::Kind::ticket, 1, 2);
  const uint64_t ticket21 = board.mark(Board::Kind::ticket, 2, 1);
  const uint64_t event1 = board.mark(Board::Kind::event, 1);
  const uint64_t session_b = board.mark(Board::Kind::session, "\\xab");
  board.touch(Board::Kind::ticket, 1, 2);
  board.touch(Board::Kind::session, "\\xaa");
  EXPECT_EQ(board.mark(Board::Kind::ticket, 1, 2), ticket12 + 1);
  EXPECT_EQ(board.mark(Board::Kind::ticket, 2, 1), ticket21);
  EXPECT_EQ(board.mark(Board::Kind::event, 1), event1);
  EXPECT_EQ(board.mark(Board::Kind::session, "\\xab"), session_b);
}

TEST_F(BoardTest, TouchAllMovesEveryMark) {
  Board board(path_, kSecond);
  const uint64_t event = board.mark(Board::Kind::event, 7);
  const uint64_t session = board.mark(Board::Kind::session, "token");
  board.touch_all();
  EXPECT_NE(board.mark(Board::Kind::event, 7), event);
  EXPECT_NE(board.mark(Board::Kind::session, "token"), session);
}

TEST_F(BoardTest, TrustEndsAtTheWindowOrAtTheExpiryIfThatComesFirst) {
  Board board(path_, kSecond);
  EXPECT_EQ(board.trusted_until(100, 0), 100 + kSecond) << "no instant: the window";
  EXPECT_EQ(board.trusted_until(100, 5000), 5000) << "a hold expiring first ends it";
  EXPECT_EQ(board.trusted_until(100, 100 + 2 * kSecond), 100 + kSecond);
}

TEST(OnBoard, OnlyWhileTheMarksStandAndTheTrustHolds) {
  LruCache::Entry e{.version = "1", .body = "{}", .gzipped = {}};
  const int64_t now = evently::now_micros();
  e.board_mark = 5;
  e.board_until = now + 60 * kSecond;
  EXPECT_TRUE(evently::on_board(e, 5));
  EXPECT_FALSE(evently::on_board(e, 6)) << "a write moved the mark";
  e.board_until = now - 1;
  EXPECT_FALSE(evently::on_board(e, 5)) << "past its instant";
  e.board_until = 0;
  EXPECT_FALSE(evently::on_board(e, 5)) << "never put on the board";
}

TEST(OnBoard, WithoutABoardNothingIsEverTrusted) {
  ASSERT_EQ(std::getenv("EVENTLY_BOARD"), nullptr);
  EXPECT_EQ(Board::get(), nullptr);
  LruCache::Entry e{.version = "1", .body = "{}", .gzipped = {}};
  evently::put_on_board(e, 0, 0);
  EXPECT_EQ(e.board_until, 0);
  EXPECT_FALSE(evently::on_board(e, 0));
}

TEST_F(BoardTest, ATicketKeptByOneWorkerIsFoundByAnother) {
  evently::SharedTickets writer(path_ + "-tickets");
  evently::SharedTickets reader(path_ + "-tickets");
  const std::string session = "\\x" + std::string(64, 'a');
  EXPECT_FALSE(reader.find(session, 7).has_value()) << "nothing kept yet";
  writer.keep(evently::ticket_record(session, 7, 42, 3, 1000, 5, 2000));
  const auto found = reader.find(session, 7);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->user, 42);
  EXPECT_EQ(found->position, 3);
  EXPECT_EQ(found->admitted_at, 1000);
  EXPECT_EQ(found->board_mark, 5u);
  EXPECT_EQ(found->trusted_until, 2000);
  EXPECT_FALSE(reader.find(session, 8).has_value()) << "another event";
  EXPECT_FALSE(reader.find("\\x" + std::string(64, 'b'), 7).has_value()) << "another session";
  writer.keep(evently::ticket_record(session, 7, 42, 9, 3000, 6, 4000));
  EXPECT_EQ(reader.find(session, 7)->position, 9) << "a newer record replaces the older";
  ::unlink((path_ + "-tickets").c_str());
}

TEST_F(BoardTest, TheTicketTableIsPrivate) {
  { evently::SharedTickets table(path_ + "-tickets"); }
  struct stat st {};
  ASSERT_EQ(::stat((path_ + "-tickets").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ::unlink((path_ + "-tickets").c_str());
}
