// A load run for people: the report document reports/ renders (HTML, Markdown, JUnit) and the
// end-of-run table on stdout.
#pragma once

#include "result.hpp"

#include "chat/reports/document.hpp"

#include <ostream> // ostream

namespace chat::load {

// The report: what was asked, what was delivered and how fast, what went wrong, whether the run
// is valid; sections of features the run did not use are left out. doc.data is the JSON result.
chat::reports::document to_document(const run_result& r);

// The end-of-run table for stdout.
void print_summary(const run_result& r, std::ostream& out);

} // namespace chat::load
