// SVG line charts: axes with round ticks, linear or log scales, a legend for several series.
// Every number written is finite: points that cannot be drawn are counted, not plotted.
#include "chat/reports/render.hpp"

#include "svg.hpp"
#include "text.hpp"

#include <algorithm> // max, min, clamp
#include <cmath>     // floor, ceil, log10, pow, isfinite, fabs
#include <cstdio>    // snprintf
#include <vector>    // vector

namespace chat::reports {
namespace detail {
namespace {

// Beyond this the span of an axis could overflow a double.
constexpr double max_magnitude = 1e300;
constexpr const char* palette[] = {"#0969da", "#cf222e", "#1a7f37", "#8250df",
                                   "#bc4c00", "#bf3989", "#1b7c83", "#6e7781"};

// A pixel coordinate.
std::string px(double v) {
    if (!std::isfinite(v))
        v = 0;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

std::string text(std::string_view s) {
    return markup(s, breaks::visible);
}

bool usable(double v, bool log) {
    return std::isfinite(v) && std::fabs(v) <= max_magnitude && (!log || v > 0);
}

struct axis {
    bool log = false;
    std::vector<std::string> labels; // fixed labels, one per tick; empty: computed
    double lo = 0, hi = 1;           // in axis space: the value, or its log10 on a log axis
    double step = 1;                 // between ticks, in axis space
    std::vector<double> ticks;       // in axis space

    double fraction(double v) const {
        const double a = log ? std::log10(v) : v;
        return (a - lo) / (hi - lo);
    }

    std::string label(std::size_t i) const {
        if (i < labels.size())
            return labels[i];
        double t = ticks[i];
        char buf[48];
        if (log) {
            const int k = static_cast<int>(std::lround(t));
            if (k >= -3 && k <= 5)
                std::snprintf(buf, sizeof buf, "%.*f", std::max(0, -k), std::pow(10.0, k));
            else
                std::snprintf(buf, sizeof buf, "1e%d", k);
            return buf;
        }
        if (std::fabs(t) < step * 1e-6)
            t = 0; // no "-0" from rounding
        if (std::max(std::fabs(lo), std::fabs(hi)) >= 1e6 || step < 1e-6) {
            std::snprintf(buf, sizeof buf, "%.3g", t);
        } else {
            const int decimals = std::clamp(static_cast<int>(-std::floor(std::log10(step))), 0, 6);
            std::snprintf(buf, sizeof buf, "%.*f", decimals, t);
        }
        return buf;
    }
};

double nice_step(double span, double target) {
    double raw = span / target;
    if (!(raw > 0) || !std::isfinite(raw))
        raw = 1;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double n = raw / mag;
    return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
}

// `from_zero`: a linear axis of non-negative values starts at 0, so heights compare honestly.
axis make_axis(double mn, double mx, bool log, bool from_zero, double target_ticks) {
    axis a;
    a.log = log;
    if (log) {
        a.lo = std::floor(std::log10(mn));
        a.hi = std::ceil(std::log10(mx));
        if (a.hi <= a.lo)
            a.hi = a.lo + 1;
        a.step = std::max(1.0, std::ceil((a.hi - a.lo) / target_ticks));
    } else {
        if (from_zero && mn > 0)
            mn = 0;
        if (mx <= mn) {
            const double d = mn == 0 ? 1 : std::fabs(mn) * 0.5;
            const bool non_negative = mn >= 0;
            mn -= d;
            mx += d;
            if (from_zero && non_negative)
                mn = 0;
        }
        a.step = nice_step(mx - mn, target_ticks);
        a.lo = std::floor(mn / a.step) * a.step;
        a.hi = std::ceil(mx / a.step) * a.step;
        if (a.hi <= a.lo)
            a.hi = a.lo + a.step;
    }
    for (int i = 0; i <= 40; ++i) {
        const double t = a.lo + i * a.step;
        if (t > a.hi + a.step * 1e-9)
            break;
        a.ticks.push_back(t);
    }
    return a;
}

// The chart's markers as dashed vertical lines over the plot area [left, left + pw] x
// [top, top + ph], each labelled at its top; markers off the x axis are left out.
std::string marker_lines(const std::vector<marker>& markers, const axis& ax, double left,
                         double top, double pw, double ph) {
    std::string s;
    for (const auto& m : markers) {
        if (!usable(m.x, ax.log))
            continue;
        const double f = ax.fraction(m.x);
        if (!(f >= 0 && f <= 1))
            continue;
        const double x = left + f * pw;
        s += "<line class=\"marker\" x1=\"" + px(x) + "\" y1=\"" + px(top) + "\" x2=\"" + px(x) +
             "\" y2=\"" + px(top + ph) +
             "\" stroke=\"#6e7781\" stroke-width=\"1\" stroke-dasharray=\"4 3\"/>\n";
        if (!m.label.empty())
            s += "<text x=\"" + px(x + 3) + "\" y=\"" + px(top + 10) +
                 "\" font-size=\"9\" fill=\"#57606a\">" + text(shorten(m.label, 24)) + "</text>\n";
    }
    return s;
}

} // namespace

std::string svg_chart(const chart& c, int width, int height, bool standalone) {
    const int w = std::max(width, 200);
    const int h = std::max(height, 140);
    const bool legend = c.lines.size() > 1;
    const double left = 64;
    const double right = legend ? std::min(170, w / 3) : 20;
    const double top = c.title.empty() ? 16 : 34;
    const double bottom = 50;
    const double pw = w - left - right;
    const double ph = h - top - bottom;

    // The data range, over points that can be drawn on these scales.
    double xmin = 0, xmax = 0, ymin = 0, ymax = 0;
    std::size_t drawn = 0, dropped = 0;
    for (const auto& s : c.lines)
        for (const auto& [x, y] : s.points) {
            if (!usable(x, c.log_x) || !usable(y, c.log_y)) {
                ++dropped;
                continue;
            }
            if (drawn++ == 0) {
                xmin = xmax = x;
                ymin = ymax = y;
            }
            xmin = std::min(xmin, x), xmax = std::max(xmax, x);
            ymin = std::min(ymin, y), ymax = std::max(ymax, y);
        }

    // Fixed x ticks widen the range to show themselves.
    std::vector<std::pair<double, std::string>> fixed;
    for (const auto& [x, label] : c.x_ticks)
        if (usable(x, c.log_x)) {
            fixed.emplace_back(x, label);
            if (drawn > 0)
                xmin = std::min(xmin, x), xmax = std::max(xmax, x);
        }
    for (const auto& m : c.x_markers)
        if (drawn > 0 && usable(m.x, c.log_x))
            xmin = std::min(xmin, m.x), xmax = std::max(xmax, m.x);

    std::string s = "<svg";
    if (standalone)
        s += " xmlns=\"http://www.w3.org/2000/svg\"";
    s += " class=\"chart\" width=\"" + std::to_string(w) + "\" height=\"" + std::to_string(h) +
         "\" viewBox=\"0 0 " + std::to_string(w) + " " + std::to_string(h) +
         "\" role=\"img\" font-family=\"sans-serif\" font-size=\"11\">\n";
    s += "<title>" + text(c.title.empty() ? "chart" : c.title) + "</title>\n";
    s += "<rect width=\"" + std::to_string(w) + "\" height=\"" + std::to_string(h) +
         "\" fill=\"#ffffff\"/>\n";
    if (!c.title.empty())
        s += "<text x=\"" + px(w / 2.0) +
             "\" y=\"21\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">" +
             text(c.title) + "</text>\n";

    if (drawn > 0) {
        axis ax = make_axis(xmin, xmax, c.log_x, false, std::max(2.0, pw / 90));
        if (!fixed.empty()) {
            ax.ticks.clear();
            for (const auto& [x, label] : fixed) {
                ax.ticks.push_back(c.log_x ? std::log10(x) : x);
                ax.labels.push_back(label);
            }
        }
        const axis ay = make_axis(ymin, ymax, c.log_y, true, std::max(2.0, ph / 50));
        const auto to_x = [&](double x) { return left + ax.fraction(x) * pw; };
        const auto to_y = [&](double y) { return top + ph - ay.fraction(y) * ph; };

        // Grid, ticks and their labels.
        s += "<g stroke=\"#d0d7de\" stroke-width=\"1\">\n";
        for (const double t : ax.ticks) {
            const double x = left + (t - ax.lo) / (ax.hi - ax.lo) * pw;
            s += "<line x1=\"" + px(x) + "\" y1=\"" + px(top) + "\" x2=\"" + px(x) + "\" y2=\"" +
                 px(top + ph + 4) + "\"/>\n";
        }
        for (const double t : ay.ticks) {
            const double y = top + ph - (t - ay.lo) / (ay.hi - ay.lo) * ph;
            s += "<line x1=\"" + px(left - 4) + "\" y1=\"" + px(y) + "\" x2=\"" + px(left + pw) +
                 "\" y2=\"" + px(y) + "\"/>\n";
        }
        s += "</g>\n<g fill=\"#24292f\">\n";
        for (std::size_t i = 0; i < ax.ticks.size(); ++i) {
            const double x = left + (ax.ticks[i] - ax.lo) / (ax.hi - ax.lo) * pw;
            s += "<text x=\"" + px(x) + "\" y=\"" + px(top + ph + 16) +
                 "\" text-anchor=\"middle\">" + text(ax.label(i)) + "</text>\n";
        }
        for (std::size_t i = 0; i < ay.ticks.size(); ++i) {
            const double y = top + ph - (ay.ticks[i] - ay.lo) / (ay.hi - ay.lo) * ph;
            s += "<text x=\"" + px(left - 7) + "\" y=\"" + px(y + 4) + "\" text-anchor=\"end\">" +
                 text(ay.label(i)) + "</text>\n";
        }
        s += "</g>\n";
        s += marker_lines(c.x_markers, ax, left, top, pw, ph);

        // The series: a line through the points, and markers where points are few enough to
        // be told apart (a single point is only a marker).
        for (std::size_t i = 0; i < c.lines.size(); ++i) {
            const char* colour = palette[i % std::size(palette)];
            std::vector<std::pair<std::string, std::string>> pts;
            for (const auto& [x, y] : c.lines[i].points) {
                if (!usable(x, c.log_x) || !usable(y, c.log_y))
                    continue;
                auto p = std::make_pair(px(to_x(x)), px(to_y(y)));
                if (pts.empty() || pts.back() != p) // same pixel adds nothing
                    pts.push_back(std::move(p));
            }
            if (pts.size() >= 2) {
                s += "<polyline fill=\"none\" stroke=\"" + std::string(colour) +
                     "\" stroke-width=\"1.8\" stroke-linejoin=\"round\" points=\"";
                for (std::size_t k = 0; k < pts.size(); ++k)
                    s += (k ? " " : "") + pts[k].first + "," + pts[k].second;
                s += "\"/>\n";
            }
            if (!pts.empty() && pts.size() <= 40)
                for (const auto& [x, y] : pts)
                    s += "<circle cx=\"" + x + "\" cy=\"" + y + "\" r=\"2.5\" fill=\"" + colour +
                         "\"/>\n";
        }
    } else {
        s += "<text x=\"" + px(left + pw / 2) + "\" y=\"" + px(top + ph / 2) +
             "\" text-anchor=\"middle\" fill=\"#6e7781\">no data</text>\n";
    }

    // Frame and axis labels.
    s += "<rect x=\"" + px(left) + "\" y=\"" + px(top) + "\" width=\"" + px(pw) + "\" height=\"" +
         px(ph) + "\" fill=\"none\" stroke=\"#57606a\"/>\n";
    if (!c.x_label.empty())
        s += "<text x=\"" + px(left + pw / 2) + "\" y=\"" + px(h - 12.0) +
             "\" text-anchor=\"middle\">" + text(c.x_label) + (c.log_x ? " (log)" : "") +
             "</text>\n";
    if (!c.y_label.empty())
        s += "<text transform=\"rotate(-90)\" x=\"" + px(-(top + ph / 2)) +
             "\" y=\"15\" text-anchor=\"middle\">" + text(c.y_label) + (c.log_y ? " (log)" : "") +
             "</text>\n";
    if (dropped > 0)
        s += "<text x=\"4\" y=\"" + px(h - 4.0) + "\" font-size=\"9\" fill=\"#6e7781\">" +
             std::to_string(dropped) +
             (c.log_x || c.log_y ? " points not plotted (not finite or not > 0 on a log axis)"
                                 : " points not plotted (not finite)") +
             "</text>\n";

    if (legend) {
        const double lx = left + pw + 12;
        const auto fits = static_cast<std::size_t>(std::max(1.0, ph / 16));
        for (std::size_t i = 0; i < c.lines.size(); ++i) {
            const double y = top + 8 + 16.0 * static_cast<double>(i);
            if (i + 1 == fits && c.lines.size() > fits) {
                s += "<text x=\"" + px(lx) + "\" y=\"" + px(y + 4) + "\">+" +
                     std::to_string(c.lines.size() - i) + " more</text>\n";
                break;
            }
            const char* colour = palette[i % std::size(palette)];
            s += "<line x1=\"" + px(lx) + "\" y1=\"" + px(y) + "\" x2=\"" + px(lx + 14) +
                 "\" y2=\"" + px(y) + "\" stroke=\"" + colour + "\" stroke-width=\"3\"/>\n";
            const auto chars = static_cast<std::size_t>(std::max(4.0, (right - 34) / 6.2));
            s += "<text x=\"" + px(lx + 19) + "\" y=\"" + px(y + 4) + "\">" +
                 text(shorten(c.lines[i].name.empty() ? "series " + std::to_string(i + 1)
                                                      : c.lines[i].name,
                              chars)) +
                 "</text>\n";
        }
    }
    s += "</svg>\n";
    return s;
}

} // namespace detail

std::string to_svg(const chart& c, int width, int height) {
    return detail::svg_chart(c, width, height, true);
}

} // namespace chat::reports
