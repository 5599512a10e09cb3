#pragma once
/// A file that the processes of one machine map and share (the change board,
/// the queue tickets, the workers' counters).

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace evently {

/// Opens the file at `path` (making it with `mode` when there is none; never
/// through a symbolic link), zero-fills it to `bytes` once (a second process
/// doing the same at the same time changes nothing) and maps those bytes
/// shared, read and write. The descriptor is closed, or left in `*keep_fd`
/// when that is given. Throws std::runtime_error, naming `what`, when it
/// cannot.
void* map_shared_file(const std::string& path, size_t bytes, mode_t mode, const char* what,
                      int* keep_fd = nullptr);

}  // namespace evently
