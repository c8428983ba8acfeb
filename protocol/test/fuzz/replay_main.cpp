// Runs a fuzz target over every file of a corpus folder without libFuzzer, so the committed
// corpus (and every crash input added to it) is a regression test in any build.
#include <cstddef>    // size_t
#include <cstdint>    // uint8_t
#include <filesystem> // directory_iterator
#include <fstream>    // ifstream
#include <iostream>   // cout, cerr
#include <iterator>   // istreambuf_iterator
#include <string>     // string

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: " << argv[0] << " CORPUS_DIR\n";
        return 2;
    }
    std::size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(argv[1])) {
        if (!entry.is_regular_file())
            continue;
        std::ifstream in(entry.path(), std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), {});
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
        ++n;
    }
    if (n == 0) {
        std::cerr << "no inputs in " << argv[1] << "\n";
        return 1;
    }
    std::cout << n << " inputs replayed without a failure\n";
    return 0;
}
