// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl bench --plot: the figures drawn with cairo, as PNG (a name
 * ending in .png) or SVG (any other name), one panel under the other:
 *
 *   - a heatmap of the initiator x member matrix per measured kind.
 *     Colours follow the logarithm of the figure within each panel,
 *     because CXL under an emulator is a thousand times slower than
 *     DRAM; the better end (low latency, high bandwidth) is always the
 *     light one;
 *   - with several thread counts, a line plot per bandwidth kind, MB/s
 *     against threads, a line per initiator and member (the latency,
 *     measured by one thread, stays a heatmap);
 *   - with --loaded, one line plot of the chase's latency against the
 *     injected MB/s, a line per cell.
 *
 * This is poolctl-plot.so, the plugin that poolctl loads for --plot
 * (plugin.h): poolctl links no cairo itself.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cairo.h>
#include <cairo-svg.h>
#include <fontconfig/fontconfig.h>

#include "poolctl.h"
#include "bench.h"
#include "plugin.h"

#define CELL_W		96
#define CELL_H		36
#define LABEL_W		96
#define MIN_W		240
#define TITLE_H		48
#define PANEL_GAP	24
#define MAX_AXIS	64
/* Line plots: the plot area and its margins, a legend line per series. */
#define PLOT_W		440
#define PLOT_H		220
#define PLOT_LEFT	72
#define PLOT_BOTTOM	44
#define LEGEND_H	16
#define LINE_PANEL_W	(PLOT_LEFT + PLOT_W + 24)
#define MAX_SERIES	16
#define MAX_POINTS	32	/* >= POOL_BENCH_MAX_POINTS, thread counts */
#define TICKS		5

static const char *const titles[POOL_BENCH_NR_KINDS] = {
	"idle latency (ns)", "read (MB/s)", "write (MB/s)", "copy (MB/s)",
	"triad (MB/s)",
};

/* A dark-to-light ramp (blue, teal, green, yellow). */
static void ramp(cairo_t *cr, double t)
{
	static const double stops[][3] = {
		{ 48, 18, 110 }, { 33, 110, 140 }, { 60, 180, 110 },
		{ 250, 230, 60 },
	};
	double x, c[3];
	int i, k;

	if (!(t > 0))
		t = 0;
	if (t > 1)
		t = 1;
	x = t * 3;
	i = x >= 3 ? 2 : (int)x;
	x -= i;
	for (k = 0; k < 3; k++)
		c[k] = stops[i][k] + x * (stops[i + 1][k] - stops[i][k]);
	cairo_set_source_rgb(cr, c[0] / 255, c[1] / 255, c[2] / 255);
}

/* Distinct colours for the lines of a plot. */
static void series_colour(cairo_t *cr, int i)
{
	static const double palette[][3] = {
		{ 0.12, 0.47, 0.71 }, { 1.00, 0.50, 0.05 },
		{ 0.17, 0.63, 0.17 }, { 0.84, 0.15, 0.16 },
		{ 0.58, 0.40, 0.74 }, { 0.55, 0.34, 0.29 },
		{ 0.89, 0.47, 0.76 }, { 0.50, 0.50, 0.50 },
	};
	const double *c = palette[i % ARRAY_SIZE(palette)];

	cairo_set_source_rgb(cr, c[0], c[1], c[2]);
}

/* @s at (@x, @y): @align 0 left, 1 centre, 2 right; @size in pixels. */
static void text(cairo_t *cr, double x, double y, int align, double size,
		 bool bold, const char *s)
{
	cairo_text_extents_t e;

	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
			       bold ? CAIRO_FONT_WEIGHT_BOLD :
			       CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
	cairo_text_extents(cr, s, &e);
	cairo_move_to(cr, x - align * (e.width / 2 + e.x_bearing), y);
	cairo_show_text(cr, s);
}

static void title(cairo_t *cr, double y0, const char *t, const char *note)
{
	cairo_set_source_rgb(cr, 0, 0, 0);
	text(cr, 8, y0 + 16, 0, 14, true, t);
	cairo_set_source_rgb(cr, 0.33, 0.33, 0.33);
	text(cr, 8, y0 + 30, 0, 10, false, note);
}

/* The distinct initiators and members, in order of first appearance. */
static int axis(const struct bench_matrix *mx, bool members, int *out)
{
	int i, j, n = 0, v;

	for (i = 0; i < mx->nr_cells; i++) {
		v = members ? mx->cells[i].member : mx->cells[i].initiator;
		for (j = 0; j < n && out[j] != v; j++)
			;
		if (j == n && n < MAX_AXIS)
			out[n++] = v;
	}
	return n;
}

static const struct bench_cell *find_cell(const struct bench_matrix *mx,
					  int initiator, int member)
{
	int i;

	for (i = 0; i < mx->nr_cells; i++)
		if (mx->cells[i].initiator == initiator &&
		    mx->cells[i].member == member)
			return &mx->cells[i];
	return NULL;
}

static double value(const struct bench_cell *c, int kind)
{
	if (!c || !(c->res.kinds & (1U << kind)))
		return 0;
	return c->res.figures[kind].value;
}

/* ---- heatmaps */

struct heat {
	int inits[MAX_AXIS], mems[MAX_AXIS], ni, nm;
};

static void heat_cell(cairo_t *cr, double v, double lo, double hi, int kind,
		      int x, int y)
{
	char buf[32];
	double t = 0.5;		/* one value: nothing to rank */

	if (v <= 0) {
		cairo_set_source_rgb(cr, 0.87, 0.87, 0.87);
		cairo_rectangle(cr, x, y, CELL_W - 2, CELL_H - 2);
		cairo_fill(cr);
		return;
	}
	if (hi > lo) {
		t = (log(v) - log(lo)) / (log(hi) - log(lo));
		if (kind == 0)
			t = 1 - t;	/* low latency is light */
	}
	ramp(cr, t);
	cairo_rectangle(cr, x, y, CELL_W - 2, CELL_H - 2);
	cairo_fill(cr);
	snprintf(buf, sizeof(buf), "%.*f", v < 100 ? 1 : 0, v);
	if (t > 0.6)
		cairo_set_source_rgb(cr, 0, 0, 0);
	else
		cairo_set_source_rgb(cr, 1, 1, 1);
	text(cr, x + CELL_W / 2, y + CELL_H / 2 + 4, 1, 12, false, buf);
}

static int heat_height(const struct heat *h)
{
	return TITLE_H + h->ni * CELL_H + PANEL_GAP;
}

static void heat_panel(const struct bench_matrix *mx, cairo_t *cr, int kind,
		       int y0, const struct heat *h)
{
	double lo = INFINITY, hi = 0, v;
	const struct bench_cell *c;
	char buf[64];
	int i, j, y;

	for (i = 0; i < h->ni; i++)
		for (j = 0; j < h->nm; j++) {
			v = value(find_cell(mx, h->inits[i], h->mems[j]), kind);
			if (v > 0) {
				lo = fmin(lo, v);
				hi = fmax(hi, v);
			}
		}
	title(cr, y0, titles[kind], "log colour scale, lighter is better");
	cairo_set_source_rgb(cr, 0, 0, 0);
	for (j = 0; j < h->nm; j++) {
		c = find_cell(mx, h->inits[0], h->mems[j]);
		if (c && c->place)	/* --policy: its name */
			snprintf(buf, sizeof(buf), "%s", c->memory);
		else
			snprintf(buf, sizeof(buf), "%s %d%s%s",
				 mx->no_module ? "node" : "member", h->mems[j],
				 c && !mx->no_module ? " " : "",
				 c && !mx->no_module ? c->memory : "");
		text(cr, LABEL_W + j * CELL_W + CELL_W / 2, y0 + TITLE_H - 6,
		     1, 12, false, buf);
	}
	for (i = 0; i < h->ni; i++) {
		y = y0 + TITLE_H + i * CELL_H;
		cairo_set_source_rgb(cr, 0, 0, 0);
		snprintf(buf, sizeof(buf), "CPU node %d", h->inits[i]);
		text(cr, 8, y + CELL_H / 2 + 4, 0, 12, false, buf);
		for (j = 0; j < h->nm; j++)
			heat_cell(cr, value(find_cell(mx, h->inits[i],
						      h->mems[j]), kind),
				  lo, hi, kind, LABEL_W + j * CELL_W, y);
	}
}

/* ---- line plots */

struct series {
	char label[64];
	int n;
	double x[MAX_POINTS], y[MAX_POINTS];
};

struct lines {
	const char *title, *xlabel;
	bool xcount;			/* x counts threads: whole ticks */
	int ns;
	struct series s[MAX_SERIES];
};

static int lines_height(const struct lines *l)
{
	return TITLE_H + PLOT_H + PLOT_BOTTOM + l->ns * LEGEND_H + PANEL_GAP;
}

/* An axis from 0 to a round number at or above @max. */
static double axis_top(double max)
{
	double step, p;

	if (!(max > 0))
		return 1;
	p = pow(10, floor(log10(max / TICKS)));
	step = ceil(max / TICKS / p) * p;
	return step * TICKS;
}

static void lines_axes(cairo_t *cr, const struct lines *l, int y0,
		       double xtop, double ytop)
{
	double px = PLOT_LEFT, py = y0 + TITLE_H;
	char buf[32];
	int t;

	cairo_set_line_width(cr, 1);
	for (t = 0; t <= TICKS; t++) {
		cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
		cairo_move_to(cr, px, py + PLOT_H - t * PLOT_H / TICKS + 0.5);
		cairo_line_to(cr, px + PLOT_W, py + PLOT_H - t * PLOT_H / TICKS
			      + 0.5);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0, 0, 0);
		snprintf(buf, sizeof(buf), "%g", ytop * t / TICKS);
		text(cr, px - 6, py + PLOT_H - t * PLOT_H / TICKS + 4, 2, 11,
		     false, buf);
		snprintf(buf, sizeof(buf), "%g", xtop * t / TICKS);
		text(cr, px + t * PLOT_W / TICKS, py + PLOT_H + 16, 1, 11,
		     false, buf);
	}
	cairo_rectangle(cr, px + 0.5, py + 0.5, PLOT_W, PLOT_H);
	cairo_stroke(cr);
	text(cr, px + PLOT_W / 2, py + PLOT_H + 34, 1, 12, false, l->xlabel);
}

static void lines_panel(cairo_t *cr, const struct lines *l, int y0)
{
	double xmax = 0, ymax = 0, xtop, ytop, x, y;
	const struct series *s;
	int i, k, ly;

	for (i = 0; i < l->ns; i++)
		for (k = 0; k < l->s[i].n; k++) {
			xmax = fmax(xmax, l->s[i].x[k]);
			ymax = fmax(ymax, l->s[i].y[k]);
		}
	xtop = axis_top(xmax);
	if (l->xcount && xtop < TICKS)
		xtop = TICKS;
	ytop = axis_top(ymax);
	title(cr, y0, l->title, "a line per initiator and memory");
	lines_axes(cr, l, y0, xtop, ytop);
	cairo_set_line_width(cr, 2);
	for (i = 0; i < l->ns; i++) {
		s = &l->s[i];
		series_colour(cr, i);
		for (k = 0; k < s->n; k++) {
			x = PLOT_LEFT + s->x[k] / xtop * PLOT_W;
			y = y0 + TITLE_H + PLOT_H - s->y[k] / ytop * PLOT_H;
			if (k)
				cairo_line_to(cr, x, y);
			else
				cairo_move_to(cr, x, y);
		}
		cairo_stroke(cr);
		for (k = 0; k < s->n; k++) {
			cairo_arc(cr, PLOT_LEFT + s->x[k] / xtop * PLOT_W,
				  y0 + TITLE_H + PLOT_H -
				  s->y[k] / ytop * PLOT_H, 3, 0, 2 * M_PI);
			cairo_fill(cr);
		}
		ly = y0 + TITLE_H + PLOT_H + PLOT_BOTTOM + i * LEGEND_H + 12;
		cairo_rectangle(cr, PLOT_LEFT, ly - 9, 18, 10);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0, 0, 0);
		text(cr, PLOT_LEFT + 26, ly, 0, 12, false, s->label);
	}
}

static void series_label(const struct bench_matrix *mx,
			 const struct bench_cell *c, struct series *s)
{
	if (c->place)
		snprintf(s->label, sizeof(s->label), "CPU node %d, %s",
			 c->initiator, c->memory);
	else
		snprintf(s->label, sizeof(s->label), "CPU node %d, %s %d%s%s",
			 c->initiator, mx->no_module ? "node" : "member",
			 c->member, mx->no_module ? "" : " ",
			 mx->no_module ? "" : c->memory);
}

/* --loaded: the chase's latency against the injected MB/s, per cell. */
static void loaded_lines(const struct bench_matrix *mx, struct lines *l)
{
	const struct pool_bench_curve *cv;
	struct series *s;
	int i;
	unsigned int k;

	l->title = "loaded latency (ns)";
	l->xlabel = "injected MB/s";
	for (i = 0; i < mx->nr_cells && l->ns < MAX_SERIES; i++) {
		cv = &mx->cells[i].curve;
		s = &l->s[l->ns++];
		series_label(mx, &mx->cells[i], s);
		for (k = 0; k < cv->nr_points && s->n < MAX_POINTS; k++) {
			s->x[s->n] = cv->points[k].inject_mbps;
			s->y[s->n++] = cv->points[k].latency_ns;
		}
	}
}

/* The series of @c's initiator and member, new or found. */
static struct series *series_of(const struct bench_matrix *mx,
				const struct bench_cell *c, struct lines *l,
				int *owner)
{
	int i;

	for (i = 0; i < l->ns; i++)
		if (mx->cells[owner[i]].initiator == c->initiator &&
		    mx->cells[owner[i]].member == c->member)
			return &l->s[i];
	if (l->ns == MAX_SERIES)
		return NULL;
	owner[l->ns] = (int)(c - mx->cells);
	series_label(mx, c, &l->s[l->ns]);
	return &l->s[l->ns++];
}

/* Several thread counts: @kind's MB/s against threads, by thread count. */
static void scaling_lines(const struct bench_matrix *mx, int kind,
			  struct lines *l)
{
	int owner[MAX_SERIES], i, k;
	struct series *s;
	double t;

	l->title = titles[kind];
	l->xlabel = "threads";
	l->xcount = true;
	for (i = 0; i < mx->nr_cells; i++) {
		s = series_of(mx, &mx->cells[i], l, owner);
		if (!s || s->n == MAX_POINTS || value(&mx->cells[i], kind) <= 0)
			continue;
		t = mx->cells[i].res.threads;
		for (k = s->n; k > 0 && s->x[k - 1] > t; k--) {
			s->x[k] = s->x[k - 1];
			s->y[k] = s->y[k - 1];
		}
		s->x[k] = t;
		s->y[k] = value(&mx->cells[i], kind);
		s->n++;
	}
}

/* ---- the picture */

struct layout {
	struct heat heat;
	unsigned int heat_kinds;	/* a heatmap each */
	struct lines *lines;		/* line plots */
	int nl;
	int w, h;
};

static bool several_thread_counts(const struct bench_matrix *mx)
{
	int i;

	for (i = 1; i < mx->nr_cells; i++)
		if (mx->cells[i].res.threads != mx->cells[0].res.threads)
			return true;
	return false;
}

static int plan(const struct bench_matrix *mx, struct layout *lo)
{
	unsigned int kinds = 0;
	int i, k;

	for (i = 0; i < mx->nr_cells; i++)
		kinds |= mx->cells[i].res.kinds;
	lo->heat.ni = axis(mx, false, lo->heat.inits);
	lo->heat.nm = axis(mx, true, lo->heat.mems);
	lo->lines = calloc(POOL_BENCH_NR_KINDS, sizeof(*lo->lines));
	if (!lo->lines)
		return -ENOMEM;
	if (mx->loaded) {
		loaded_lines(mx, &lo->lines[lo->nl++]);
	} else if (several_thread_counts(mx)) {
		lo->heat_kinds = kinds & POOL_BENCH_LATENCY;
		for (k = 1; k < POOL_BENCH_NR_KINDS; k++)
			if (kinds & (1U << k))
				scaling_lines(mx, k, &lo->lines[lo->nl++]);
	} else {
		lo->heat_kinds = kinds;
	}
	lo->w = LABEL_W + lo->heat.nm * CELL_W + 16;
	if (lo->w < MIN_W)
		lo->w = MIN_W;
	if (lo->nl && lo->w < LINE_PANEL_W)
		lo->w = LINE_PANEL_W;
	lo->h = 8 + __builtin_popcount(lo->heat_kinds) * heat_height(&lo->heat);
	for (i = 0; i < lo->nl; i++)
		lo->h += lines_height(&lo->lines[i]);
	return 0;
}

static void draw(const struct bench_matrix *mx, const struct layout *lo,
		 cairo_t *cr)
{
	int k, i, y = 0;

	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	for (k = 0; k < POOL_BENCH_NR_KINDS; k++) {
		if (!(lo->heat_kinds & (1U << k)))
			continue;
		heat_panel(mx, cr, k, y, &lo->heat);
		y += heat_height(&lo->heat);
	}
	for (i = 0; i < lo->nl; i++) {
		lines_panel(cr, &lo->lines[i], y);
		y += lines_height(&lo->lines[i]);
	}
}

static bool is_png(const char *path)
{
	size_t n = strlen(path);

	return n > 4 && strcasecmp(path + n - 4, ".png") == 0;
}

static int cairo_errno(cairo_status_t st)
{
	switch (st) {
	case CAIRO_STATUS_SUCCESS:
		return 0;
	case CAIRO_STATUS_NO_MEMORY:
		return -ENOMEM;
	case CAIRO_STATUS_WRITE_ERROR:
	case CAIRO_STATUS_FILE_NOT_FOUND:
		return errno ? -errno : -EIO;
	default:
		return -EIO;
	}
}

/* The plugin's entry (plugin.h). */
int poolctl_plot_v1(const struct bench_matrix *mx, const char *path)
{
	struct layout lo = { 0 };
	cairo_surface_t *sf;
	cairo_status_t st;
	cairo_t *cr;
	int rc;

	if (!mx->nr_cells)
		return -ENODATA;
	rc = plan(mx, &lo);
	if (rc)
		return rc;
	errno = 0;
	if (is_png(path))
		sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, lo.w, lo.h);
	else
		sf = cairo_svg_surface_create(path, lo.w, lo.h);
	cr = cairo_create(sf);
	draw(mx, &lo, cr);
	st = cairo_status(cr);
	cairo_destroy(cr);
	if (!st && is_png(path))
		st = cairo_surface_write_to_png(sf, path);
	cairo_surface_finish(sf);
	if (!st)
		st = cairo_surface_status(sf);
	cairo_surface_destroy(sf);
	free(lo.lines);
	/*
	 * cairo's and fontconfig's caches of the fonts, freed: poolctl
	 * draws once, and so a leak checker (the host tests' sanitizer
	 * build) sees only poolctl's own memory.
	 */
	cairo_debug_reset_static_data();
	FcFini();
	return cairo_errno(st);
}
