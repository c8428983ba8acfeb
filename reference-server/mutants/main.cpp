// chat-server-mutant: chat-server with --mutant NAME[,NAME...] and --list-mutants, for the
// conformance self-test and the load generator's measurement check. Test builds only.
#include "catalogue.hpp"

#include "command_line.hpp"

#include <CLI/CLI.hpp>

#include <iostream>  // cout
#include <stdexcept> // runtime_error

namespace {

using namespace chat_server;

class mutant_options : public command_line_extension {
public:
    void add_options(CLI::App& app) override {
        app.add_option("--mutant", names_,
                       "TEST ONLY: run with these deliberate defects or legal variants, stacked "
                       "(comma-separated names or profiles; --list-mutants shows each with the "
                       "SPEC.md clauses it breaks)")
            ->type_name("NAME[,NAME...]")
            ->capture_default_str();
        app.add_flag("--list-mutants", list_,
                     "print every mutant, variant and profile as JSON {name: {kind, breaks, "
                     "description[, members]}} and exit");
    }

    int after_parse(const server_config& config) override {
        if (list_) {
            std::cout << mutants::list_json() << std::endl;
            return 0;
        }
        std::string why;
        auto s = mutants::parse_selection(names_, &why);
        if (!s)
            throw std::runtime_error("--mutant: " + why + " (got '" + names_ + "')");
        for (const auto& name : s->names)
            for (const auto& e : mutants::catalogue())
                if (e.name == name && e.what == mutants::entry::kind::cluster_mutant &&
                    config.cluster.empty())
                    throw std::runtime_error("--mutant " + name +
                                             " is a defect of a cluster: it needs --cluster URL");
        selected_ = std::move(*s);
        return -1;
    }

    std::shared_ptr<fault_hooks> hooks(const server_config& config) override {
        return mutants::make_hooks(selected_, config);
    }

    std::string describe() const override {
        if (selected_.names.empty())
            return {};
        std::string out = " (mutant";
        for (const auto& name : selected_.names)
            out += (&name == &selected_.names.front() ? " " : ",") + name;
        return out + ")";
    }

private:
    std::string names_ = "none";
    bool list_ = false;
    mutants::selection selected_;
};

} // namespace

int main(int argc, char** argv) {
    mutant_options options;
    return run_chat_server(argc, argv, &options);
}
