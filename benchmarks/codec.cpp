// Codec hot paths: decoding a client frame (protocol/'s own RFC 8259 scanner, against
// nlohmann/json and Boost.JSON), encoding a broadcast message with our hand encoder, and
// RFC 6455 masking of a payload (a word at a time, against the byte-at-a-time loop).
#include "chat/codec.hpp"
#include "chat/ws_frame.hpp"

#include <benchmark/benchmark.h>
#include <boost/json.hpp>
#include <nlohmann/json.hpp>

namespace {

const std::string frame =
    R"({"content":"Hello Bob, this is a typical chat line \u00e9 with \"quotes\"."})";
const chat::chat_message message{"Alice", "general",
                                 "Hello Bob, this is a typical chat line \xC3\xA9 with \"quotes\".",
                                 1719912345678};

void decode_frame_protocol(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(chat::decode_client_frame(frame));
}
BENCHMARK(decode_frame_protocol);

void decode_frame_nlohmann(benchmark::State& state) {
    for (auto _ : state) {
        auto doc = nlohmann::json::parse(frame, nullptr, false);
        benchmark::DoNotOptimize(doc["content"].get_ref<const std::string&>());
    }
}
BENCHMARK(decode_frame_nlohmann);

void decode_frame_boost_json(benchmark::State& state) {
    boost::json::monotonic_resource mr;
    for (auto _ : state) {
        boost::system::error_code ec;
        auto v = boost::json::parse(frame, ec);
        benchmark::DoNotOptimize(v.as_object().at("content").as_string().c_str());
    }
}
BENCHMARK(decode_frame_boost_json);

void encode_message_protocol(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(chat::encode_message(message));
}
BENCHMARK(encode_message_protocol);

void encode_message_nlohmann(benchmark::State& state) {
    for (auto _ : state) {
        nlohmann::json j{{"user", message.user},
                         {"room", message.room},
                         {"content", message.content},
                         {"timestamp", message.timestamp}};
        benchmark::DoNotOptimize(j.dump());
    }
}
BENCHMARK(encode_message_nlohmann);

void encode_message_boost_json(benchmark::State& state) {
    for (auto _ : state) {
        boost::json::object o{{"user", message.user},
                              {"room", message.room},
                              {"content", message.content},
                              {"timestamp", message.timestamp}};
        benchmark::DoNotOptimize(boost::json::serialize(o));
    }
}
BENCHMARK(encode_message_boost_json);

// RFC 6455 5.3 masking of a payload of state.range(0) bytes at offset 1 (an unaligned key).
void mask_payload_words(benchmark::State& state) {
    std::string payload(static_cast<std::size_t>(state.range(0)), 'x');
    const chat::ws::mask_key key{0x37, 0xfa, 0x21, 0x3d};
    for (auto _ : state) {
        chat::ws::mask_payload(reinterpret_cast<unsigned char*>(payload.data()), payload.size(),
                               key, 1);
        benchmark::DoNotOptimize(payload.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(mask_payload_words)->Arg(128)->Arg(60000);

// The baseline: the byte-at-a-time loop mask_payload replaced.
void mask_payload_bytes(benchmark::State& state) {
    std::string payload(static_cast<std::size_t>(state.range(0)), 'x');
    const chat::ws::mask_key key{0x37, 0xfa, 0x21, 0x3d};
    for (auto _ : state) {
        auto* p = reinterpret_cast<unsigned char*>(payload.data());
        for (std::size_t i = 0; i < payload.size(); ++i)
            p[i] ^= key[(1 + i) & 3];
        benchmark::DoNotOptimize(payload.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(mask_payload_bytes)->Arg(128)->Arg(60000);

} // namespace
