// The design's ceiling: a FastCGI worker that answers at once, with no
// database and no work. bench/run puts nginx in front of it, exactly as in
// front of the functions, and measures it in the same run.
#include <fcgiapp.h>

#include <cstring>

int main() {
  FCGX_Init();
  FCGX_Request req;
  FCGX_InitRequest(&req, 0, 0);
  static const char kReply[] = "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{\"status\":\"ok\"}";
  while (FCGX_Accept_r(&req) >= 0) {
    FCGX_PutStr(kReply, static_cast<int>(std::strlen(kReply)), req.out);
    FCGX_Finish_r(&req);
  }
  return 0;
}
