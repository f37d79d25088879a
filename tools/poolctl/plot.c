// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl bench --plot: the initiator x member matrices as SVG heatmaps,
 * one panel per measured kind, written by hand (no plotting library).
 * Colours follow the logarithm of the figure within each panel, because
 * CXL under an emulator is a thousand times slower than DRAM; the
 * better end (low latency, high bandwidth) is always the light one.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "poolctl.h"
#include "bench.h"

#define CELL_W		96
#define CELL_H		36
#define LABEL_W		96
#define MIN_W		240
#define TITLE_H		48
#define PANEL_GAP	24
#define MAX_AXIS	64

static const char *const titles[POOL_BENCH_NR_KINDS] = {
	"idle latency (ns)", "read (MB/s)", "write (MB/s)", "copy (MB/s)",
	"triad (MB/s)",
};

/* A dark-to-light ramp (blue, teal, green, yellow). */
static void ramp(double t, int *r, int *g, int *b)
{
	static const int stops[][3] = {
		{ 48, 18, 110 }, { 33, 110, 140 }, { 60, 180, 110 },
		{ 250, 230, 60 },
	};
	double x;
	int i;

	if (!(t > 0))
		t = 0;
	if (t > 1)
		t = 1;
	x = t * 3;
	i = x >= 3 ? 2 : (int)x;
	x -= i;
	*r = (int)(stops[i][0] + x * (stops[i + 1][0] - stops[i][0]));
	*g = (int)(stops[i][1] + x * (stops[i + 1][1] - stops[i][1]));
	*b = (int)(stops[i][2] + x * (stops[i + 1][2] - stops[i][2]));
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

static void panel(const struct bench_matrix *mx, FILE *f, int kind, int y0,
		  const int *inits, int ni, const int *mems, int nm)
{
	double lo = INFINITY, hi = 0, v, t;
	const struct bench_cell *c;
	int i, j, x, y, r, g, b;

	for (i = 0; i < ni; i++)
		for (j = 0; j < nm; j++) {
			v = value(find_cell(mx, inits[i], mems[j]), kind);
			if (v > 0) {
				lo = fmin(lo, v);
				hi = fmax(hi, v);
			}
		}
	fprintf(f, "<text x=\"8\" y=\"%d\" class=\"title\">%s</text>\n"
		"<text x=\"8\" y=\"%d\" class=\"note\">log colour scale, "
		"lighter is better</text>\n", y0 + 16, titles[kind], y0 + 30);
	for (j = 0; j < nm; j++) {
		c = find_cell(mx, inits[0], mems[j]);
		fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"axis\" "
			"text-anchor=\"middle\">%s %d%s%s</text>\n",
			LABEL_W + j * CELL_W + CELL_W / 2, y0 + TITLE_H - 6,
			mx->no_module ? "node" : "member", mems[j],
			c && !mx->no_module ? " " : "",
			c && !mx->no_module ? c->memory : "");
	}
	for (i = 0; i < ni; i++) {
		y = y0 + TITLE_H + i * CELL_H;
		fprintf(f, "<text x=\"8\" y=\"%d\" class=\"axis\">CPU node %d"
			"</text>\n", y + CELL_H / 2 + 4, inits[i]);
		for (j = 0; j < nm; j++) {
			x = LABEL_W + j * CELL_W;
			v = value(find_cell(mx, inits[i], mems[j]), kind);
			if (v <= 0) {
				fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
					"height=\"%d\" fill=\"#dddddd\"/>\n",
					x, y, CELL_W - 2, CELL_H - 2);
				continue;
			}
			if (hi > lo) {
				t = (log(v) - log(lo)) / (log(hi) - log(lo));
				if (kind == 0)
					t = 1 - t;	/* low latency is light */
			} else {
				t = 0.5;	/* one value: nothing to rank */
			}
			ramp(t, &r, &g, &b);
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
				"height=\"%d\" fill=\"#%02x%02x%02x\"/>\n"
				"<text x=\"%d\" y=\"%d\" class=\"%s\" "
				"text-anchor=\"middle\">%.*f</text>\n",
				x, y, CELL_W - 2, CELL_H - 2, r, g, b,
				x + CELL_W / 2, y + CELL_H / 2 + 4,
				t > 0.6 ? "dark" : "light", v < 100 ? 1 : 0,
				v);
		}
	}
}

int poolctl_bench_plot(const struct bench_matrix *mx, FILE *f)
{
	int inits[MAX_AXIS], mems[MAX_AXIS], ni, nm, k, np = 0, y, w, h;
	unsigned int kinds = 0;
	int i;

	if (!mx->nr_cells)
		return -ENODATA;
	for (i = 0; i < mx->nr_cells; i++)
		kinds |= mx->cells[i].res.kinds;
	ni = axis(mx, false, inits);
	nm = axis(mx, true, mems);
	for (k = 0; k < POOL_BENCH_NR_KINDS; k++)
		np += !!(kinds & (1U << k));
	w = LABEL_W + nm * CELL_W + 16;
	if (w < MIN_W)
		w = MIN_W;
	h = np * (TITLE_H + ni * CELL_H + PANEL_GAP) + 8;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\">\n"
		"<style>text { font-family: sans-serif; font-size: 12px; }\n"
		".title { font-size: 14px; font-weight: bold; }\n"
		".note { font-size: 10px; fill: #555555; }\n"
		".light { fill: #ffffff; } .dark { fill: #000000; }</style>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
		w, h, w, h);
	for (y = 0, k = 0; k < POOL_BENCH_NR_KINDS; k++) {
		if (!(kinds & (1U << k)))
			continue;
		panel(mx, f, k, y, inits, ni, mems, nm);
		y += TITLE_H + ni * CELL_H + PANEL_GAP;
	}
	fputs("</svg>\n", f);
	return ferror(f) ? -EIO : 0;
}
