// Page weight and time to interactive of the 360 view, in headless Chromium against a
// running `c360 serve` (bench/web.py starts it and passes C360_BENCH as JSON: url, token,
// ids). Cold: a fresh browser context per load (empty HTTP cache), a deep link to
// /customers/<id>. Warm: the same context, so the hashed assets come from the HTTP cache.
// "Interactive" is when the whole 360 view has rendered with its data (the timeline is in
// the page, every section filled), measured in the page from navigation start.
// Prints one JSON line.
import { chromium } from "playwright-core";

const { url, token, ids, runs = 15 } = JSON.parse(process.env.C360_BENCH ?? "{}");
if (!url || !token || !ids?.length) {
  console.error("C360_BENCH needs url, token and ids");
  process.exit(2);
}

function ready(storedToken) {
  localStorage.setItem("c360.token", storedToken);
  const mark = () => {
    if (document.querySelector('[data-testid="timeline"]') && !window.__c360Ready) {
      window.__c360Ready = performance.now();
      return true;
    }
    return false;
  };
  new MutationObserver((_, observer) => {
    if (mark()) observer.disconnect();
  }).observe(document, { subtree: true, childList: true });
}

async function load(context, id) {
  const page = await context.newPage();
  // Main-thread busy time (Chromium's own counters): what the load costs the CPU, which
  // the wall-clock figure cannot tell apart from waiting on a shared, busy machine.
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable");
  await page.goto(`${url}/customers/${id}`, { waitUntil: "commit" });
  await page.waitForFunction(() => window.__c360Ready !== undefined, null, { timeout: 30_000 });
  const counters = Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
  const figures = await page.evaluate(() => {
    const resources = performance.getEntriesByType("resource");
    const nav = performance.getEntriesByType("navigation")[0];
    const assets = resources.filter((r) => r.initiatorType === "script" || r.initiatorType === "link" || r.initiatorType === "css");
    const api = resources.filter((r) => r.name.includes("/graphql"));
    return {
      ready_ms: window.__c360Ready,
      asset_bytes: assets.reduce((n, r) => n + r.transferSize, 0) + (nav?.transferSize ?? 0),
      asset_bytes_decoded: assets.reduce((n, r) => n + r.decodedBodySize, 0) + (nav?.decodedBodySize ?? 0),
      api_bytes: api.reduce((n, r) => n + r.transferSize, 0),
      api_ms: api.reduce((n, r) => Math.max(n, r.responseEnd - r.startTime), 0), // the 360 query's round trip
      requests: resources.length + 1,
    };
  });
  await page.close();
  return { ...figures, main_thread_ms: Math.round((counters.TaskDuration ?? 0) * 1000), script_ms: Math.round((counters.ScriptDuration ?? 0) * 1000) };
}

const pct = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
  const cold = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(ready, token);
    cold.push(await load(context, ids[i % ids.length]));
    await context.close();
  }
  const warm = [];
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(ready, token);
  await load(context, ids[0]); // fills the HTTP cache
  for (let i = 0; i < runs; i++) warm.push(await load(context, ids[(i + 1) % ids.length]));
  await context.close();
  const summary = (list) => ({
    p50_ms: pct(list.map((f) => f.ready_ms), 0.5),
    p95_ms: pct(list.map((f) => f.ready_ms), 0.95),
    max_ms: pct(list.map((f) => f.ready_ms), 1),
    api_p50_ms: pct(list.map((f) => f.api_ms), 0.5),
    main_thread_p50_ms: pct(list.map((f) => f.main_thread_ms), 0.5),
    script_p50_ms: pct(list.map((f) => f.script_ms), 0.5),
    asset_bytes_transferred: pct(list.map((f) => f.asset_bytes), 0.5),
    api_bytes_transferred: pct(list.map((f) => f.api_bytes), 0.5),
    loads: list.length,
  });
  console.log(JSON.stringify({ cold: summary(cold), warm: summary(warm), decoded_asset_bytes: cold[0].asset_bytes_decoded }));
} finally {
  await browser.close();
}
