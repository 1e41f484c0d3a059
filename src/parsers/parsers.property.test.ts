import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseProcCgroups, memorySubsys } from "./proc-cgroups.js";
import { parseCgroupStat } from "./cgroup-stat.js";
import { parseCgroupEvents } from "./cgroup-events.js";
import { parseMemoryStat } from "./memory-stat.js";
import { parseSingleValue } from "./single-value.js";
import { parseMeminfo } from "./meminfo.js";
import { parseMountInfo } from "./mountinfo.js";
import { parseOsRelease } from "./osrelease.js";
import { parseCmdline } from "./cmdline.js";
import { parseTraceText } from "./trace-event.js";

/**
 * Property-based tests: whatever bytes a hostile or broken host puts in a kernel file, a parser
 * returns a value whose numbers are exact whole numbers, or throws a ParseError whose one-line
 * message names the file. Never another exception (a TypeError would reach the user as a stack).
 */
const PARSERS: Record<string, (text: string) => unknown> = {
  "/proc/cgroups": (t) => parseProcCgroups(t),
  "cgroup.stat": (t) => parseCgroupStat(t, "cgroup.stat"),
  "cgroup.events": (t) => parseCgroupEvents(t, "cgroup.events"),
  "memory.stat": (t) => parseMemoryStat(t, "memory.stat"),
  "memory.kmem.usage_in_bytes": (t) => parseSingleValue(t, "memory.kmem.usage_in_bytes"),
  "/proc/meminfo": (t) => parseMeminfo(t),
  "/proc/self/mountinfo": (t) => parseMountInfo(t),
  "/proc/sys/kernel/osrelease": (t) => parseOsRelease(t),
  "/proc/cmdline": (t) => parseCmdline(t),
  trace: (t) => parseTraceText(t),
};

/** Text made of the pieces kernel files are made of, so the parsers get past their first check. */
const token = fc.oneof(
  fc.constantFrom(
    "memory",
    "cpu",
    "nr_descendants",
    "nr_dying_descendants",
    "nr_subsys_memory",
    "nr_dying_subsys_memory",
    "populated",
    "total_cache",
    "cache",
    "file",
    "MemTotal:",
    "SwapTotal:",
    "kB",
    "-",
    "cgroup",
    "cgroup2",
    "/",
    "/sys/fs/cgroup/memory",
    "rw,memory",
    "max",
    "#subsys_name",
  ),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.integer({ min: 0, max: 70000 }).map(String),
  fc.string({ unit: "binary", maxLength: 6 }),
);
const sep = fc.constantFrom(" ", "\t", "\n", "  ", "\0", "\r\n");
const kernelish = fc.array(fc.tuple(token, sep), { maxLength: 40 }).map((xs) => xs.map(([a, b]) => a + b).join(""));
const anyText = fc.oneof(kernelish, fc.string({ unit: "binary", maxLength: 200 }));

function numbersIn(v: unknown, out: number[] = []): number[] {
  if (typeof v === "number") out.push(v);
  else if (v instanceof Map) for (const x of v.values()) numbersIn(x, out);
  else if (Array.isArray(v)) for (const x of v) numbersIn(x, out);
  else if (v !== null && typeof v === "object") for (const x of Object.values(v)) numbersIn(x, out);
  return out;
}

for (const [file, parse] of Object.entries(PARSERS)) {
  test(`${file}: any input parses to exact numbers or fails with one ParseError line naming the file`, () => {
    fc.assert(
      fc.property(anyText, (text) => {
        let value: unknown;
        try {
          value = parse(text);
        } catch (err) {
          assert.equal((err as Error).name, "ParseError", String((err as Error).stack));
          assert.ok((err as Error).message.startsWith(`Cannot parse ${file}`), (err as Error).message);
          assert.doesNotMatch((err as Error).message, /\n/);
          return;
        }
        for (const n of numbersIn(value))
          assert.ok(Number.isSafeInteger(n) || n === Infinity || n === 0, `${file}: ${n} from ${JSON.stringify(text)}`);
      }),
      { numRuns: 400 },
    );
  });
}

test("/proc/cgroups: a well-formed memory line reads back exactly, and counts past 2^53 or below 0 are refused", () => {
  fc.assert(
    fc.property(fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }), fc.integer({ min: 0, max: 12 }), (n, h) => {
      const text = `#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t${h}\t${n}\t1\n`;
      const fits = n >= 0n && n <= BigInt(Number.MAX_SAFE_INTEGER);
      if (!fits) {
        assert.throws(() => parseProcCgroups(text), {
          name: "ParseError",
          message: /^Cannot parse \/proc\/cgroups line 2: /,
        });
        return;
      }
      assert.deepEqual(memorySubsys(parseProcCgroups(text)), {
        name: "memory",
        hierarchy: h,
        numCgroups: Number(n),
        enabled: true,
        line: 2,
      });
    }),
  );
});

test("flat keyed files: any repeated key is refused on the line that repeats it", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.stringMatching(/^[a-z_]{1,12}$/), { minLength: 1, maxLength: 8 }),
      fc.nat(),
      (keys, pick) => {
        const dup = keys[pick % keys.length] as string;
        const lines = [...keys, dup].map((k, i) => `${k} ${i}`);
        assert.throws(() => parseMemoryStat(lines.join("\n") + "\n", "memory.stat"), {
          message: new RegExp(`^Cannot parse memory.stat line ${lines.length}: "${dup}" appears twice`),
        });
      },
    ),
  );
});
