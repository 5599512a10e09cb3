#include "evently/shared_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace evently {

void* map_shared_file(const std::string& path, size_t bytes, mode_t mode, const char* what, int* keep_fd) {
  const auto fail = [&](const char* doing, int fd) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    throw std::runtime_error(std::string("cannot ") + doing + " the " + what + " " + path + ": " +
                             std::strerror(err));
  };
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) fail("open", -1);
  struct stat st {};
  if (::fstat(fd, &st) != 0 ||
      (static_cast<size_t>(st.st_size) < bytes && ::ftruncate(fd, static_cast<off_t>(bytes)) != 0))
    fail("size", fd);
  void* at = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (at == MAP_FAILED) fail("map", fd);
  if (keep_fd != nullptr) *keep_fd = fd; else ::close(fd);
  return at;
}

}  // namespace evently
