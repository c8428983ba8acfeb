// Writes the shared sample document in every format into the directory given, so people and
// the headless-browser check can look at a real report.
#include "chat/reports/render.hpp"

#include "sample_document.hpp"

#include <cstdio>    // fprintf
#include <exception> // exception

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    try {
        auto doc = chat::reports::test::sample_document();
        for (const auto& path :
             chat::reports::write_all(doc, argv[1], "sample", chat::reports::all_formats()))
            std::printf("%s\n", path.string().c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "reports_sample: %s\n", e.what());
        return 1;
    }
    return 0;
}
