// End-to-end run of the app in headless Chromium (Debian's package, driven by
// playwright-core) against a real `c360 serve`. tests/integration/test_web.py prepares
// the data and passes everything in C360_E2E (JSON); this script prints one JSON line of
// what it saw and exits non-zero, naming the step, when something is not as expected.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const config = JSON.parse(process.env.C360_E2E ?? "{}");
const required = ["url", "artefacts", "tokens", "own", "foreign", "alertSubject"];
const missing = required.filter((k) => !(k in config));
if (missing.length) {
  console.error(`C360_E2E is missing ${missing.join(", ")}`);
  process.exit(2);
}
const { url, artefacts, tokens, own, foreign, alertSubject } = config;
mkdirSync(artefacts, { recursive: true });
const TIMEOUT = 20_000;
const seen = { steps: [] };
let step = "start";
let current = null; // the page a failure is photographed on

async function shot(page, name) {
  await page.screenshot({ path: join(artefacts, `${name}.png`), fullPage: true });
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function nav(page, name) {
  return page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
}

async function signIn(page, token) {
  await page.goto(url + "/");
  await page.getByLabel("Token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "My day" }).waitFor();
}

async function gql(token, query, variables) {
  const response = await fetch(url + "/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(`API: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
  const desktop = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  desktop.setDefaultTimeout(TIMEOUT);
  const page = await desktop.newPage();
  current = page;
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));

  step = "sign in as a rep";
  await signIn(page, tokens.rep);
  check((await nav(page, "Review queue").count()) === 0, "a rep is offered the review queue");
  await shot(page, "01-my-day-rep");
  // Set on the page once: still there after every in-app navigation means no full reload.
  await page.evaluate(() => { window.__c360NoReload = true; });

  step = "search and open a customer";
  await nav(page, "Search").click();
  await page.getByPlaceholder("Name, email, phone or company").fill(own.query);
  const hit = page.getByRole("list", { name: "Search results" }).getByRole("link", { name: own.name, exact: true }).first();
  await hit.waitFor();

  step = "search filters narrow the hits on the server";
  const stageBox = page.getByLabel("Stage");
  const segmentBox = page.getByLabel("Segment");
  await stageBox.selectOption(own.stage);
  await segmentBox.selectOption(own.segment);
  await page.waitForURL(new RegExp(`stage=${own.stage}.*segment=${own.segment}|segment=${own.segment}.*stage=${own.stage}`));
  await hit.waitFor();
  const card = page.locator("li.customer-card").filter({ has: page.getByRole("link", { name: own.name, exact: true }) }).first();
  const tags = await card.locator(".tags").innerText();
  check(tags.toLowerCase().includes(own.stage.toLowerCase().replace("_", " ")), `the card says "${tags}", not the stage ${own.stage}`);
  const otherStage = own.stage === "LEAD" ? "LAPSED" : "LEAD";
  await stageBox.selectOption(otherStage);
  await page.waitForURL(new RegExp(`stage=${otherStage}`));
  await page.getByText(/No customer matches .* with these filters/).or(page.getByRole("list", { name: "Search results" })).first().waitFor();
  await page.waitForFunction((id) => !document.querySelector(`a[href="/customers/${id}"]`), own.id);
  await shot(page, "02a-search-filtered");
  seen.filtered = { stage: own.stage, segment: own.segment, without: otherStage };
  await stageBox.selectOption("");
  await segmentBox.selectOption("");
  await hit.waitFor();
  await hit.click();
  await page.getByRole("heading", { level: 1, name: own.name }).waitFor();
  check(page.url().endsWith(`/customers/${own.id}`), `the 360 view is at ${page.url()}, not /customers/${own.id}`);
  const view = page.getByTestId("customer-360");
  for (const section of ["Golden record", "Contact points", "Timeline", "Referrals and relationships", "Source records", "Scores", "Open alerts"]) {
    await view.getByRole("heading", { name: section }).waitFor();
  }
  seen.searchedWith = own.query;

  step = "scores with their top factors, and predicted links";
  const scores = page.getByTestId("scores");
  const churnFactors = scores.getByRole("list", { name: "Top factors of the churn risk" });
  await churnFactors.getByText(own.factor).waitFor();
  const factorText = await churnFactors.innerText();
  check(factorText.includes("raises it") && factorText.includes("lowers it"), `the churn factors do not say which way they move it: ${factorText}`);
  const links = page.getByTestId("predicted-links");
  await links.getByRole("link", { name: own.mate.name, exact: true }).waitFor();
  await links.getByText("a customer outside your accounts").waitFor();
  check((await links.locator(`a[href="/customers/${foreign.id}"]`).count()) === 0, "a predicted link shows a customer outside the rep's accounts");
  seen.factors = factorText;

  step = "a rep sees personal data masked";
  const contacts = page.getByTestId("contacts");
  const maskedCount = await contacts.locator(".masked").count();
  check(maskedCount > 0, "no masked value in the contact points of a rep without the pii scope");
  const contactText = await contacts.innerText();
  for (const secret of own.secrets) check(!contactText.includes(secret), `the rep sees ${secret} unmasked`);
  seen.masked = maskedCount;
  await shot(page, "02-360-rep-masked");

  step = "a live alert pushed while the page is open";
  await gql(tokens.manager, `mutation($input: InteractionInput!) { recordInteraction(input: $input) { key } }`, {
    input: { customerId: own.id, type: "call", occurredAt: new Date().toISOString(), subject: `${alertSubject} from the office` },
  });
  const toast = page.getByTestId("alert-toast");
  await toast.waitFor();
  seen.alert = (await toast.innerText()).trim();
  await shot(page, "03-live-alert");

  step = "log an interaction and see it in the timeline";
  const subject = `Site visit ${Date.now()}`;
  await page.getByLabel("Type").selectOption("visit");
  await page.getByLabel("Subject").fill(subject);
  await page.getByLabel("Notes").fill("Walked the new branch; wants a quote.");
  await page.getByRole("button", { name: "Log it" }).click();
  await page.getByTestId("timeline").getByText(subject).waitFor();
  seen.logged = subject;
  await shot(page, "04-interaction-logged");

  step = "my day shows the alert";
  await nav(page, "My day").click();
  await page.getByTestId("alert-item").filter({ hasText: alertSubject }).first().waitFor();
  check(await page.evaluate(() => window.__c360NoReload === true), "the page was reloaded during in-app navigation");

  step = "back button";
  await page.goBack();
  await page.getByRole("heading", { level: 1, name: own.name }).waitFor();

  step = "a rep only sees their accounts";
  await page.goto(`${url}/customers/${foreign.id}`); // a deep link to someone else's account
  await page.getByRole("alert").filter({ hasText: "outside your accounts" }).waitFor();
  await shot(page, "05-rep-refused-foreign");
  await nav(page, "Search").click();
  await page.getByPlaceholder("Name, email, phone or company").fill(foreign.name);
  await page.waitForURL(/[?&]q=/);
  await page.locator('ul[aria-label="Search results"], p.state.empty').first().waitFor();
  check((await page.locator(`a[href="/customers/${foreign.id}"]`).count()) === 0, `a rep's search shows ${foreign.name}, someone else's account`);
  check(pageErrors.length === 0, `errors in the page: ${pageErrors.join("; ")}`);

  step = "phone width";
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  phone.setDefaultTimeout(TIMEOUT);
  const small = await phone.newPage();
  current = small;
  // A deep link opened before signing in: after signing in, the customer it points at.
  await small.goto(`${url}/customers/${own.id}`);
  await small.getByLabel("Token").fill(tokens.rep);
  await small.getByRole("button", { name: "Sign in" }).click();
  await small.getByRole("heading", { level: 1, name: own.name }).waitFor();
  await small.getByTestId("timeline").getByText(subject).waitFor();
  const widths = await small.evaluate(() => ({ page: document.documentElement.scrollWidth, viewport: window.innerWidth }));
  check(widths.page <= widths.viewport + 1, `at phone width the page is ${widths.page}px wide in a ${widths.viewport}px viewport`);
  seen.phone = widths;
  await shot(small, "06-phone-360");
  await small.goto(`${url}/search?stage=${own.stage}`);
  await small.getByLabel("Stage").waitFor();
  await small.locator('ul[aria-label="Customers"] li').first().waitFor();
  const searchWidths = await small.evaluate(() => ({ page: document.documentElement.scrollWidth, viewport: window.innerWidth }));
  check(searchWidths.page <= searchWidths.viewport + 1, `at phone width the search screen is ${searchWidths.page}px wide in a ${searchWidths.viewport}px viewport`);
  await shot(small, "06b-phone-search");
  await phone.close();

  step = "a steward accepts a review pair and sees the merge";
  const stewardContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  stewardContext.setDefaultTimeout(TIMEOUT);
  const steward = await stewardContext.newPage();
  current = steward;
  // By keyboard alone: Tab to the token box, type, Enter; Tab to the review queue link.
  await steward.goto(url + "/");
  // The page is loaded before React has drawn the form: wait for it, or Tab lands elsewhere.
  await steward.getByLabel("Token").waitFor();
  await steward.keyboard.press("Tab");
  await steward.keyboard.insertText(tokens.steward);
  await steward.keyboard.press("Tab");
  await steward.keyboard.press("Enter");
  await steward.getByRole("heading", { name: "My day" }).waitFor();
  let focused = "";
  for (let i = 0; i < 12 && focused !== "Review queue"; i++) {
    await steward.keyboard.press("Tab");
    focused = await steward.evaluate(() => document.activeElement?.textContent?.trim() ?? "");
  }
  check(focused === "Review queue", "the review queue link cannot be reached with the Tab key");
  await steward.keyboard.press("Enter");
  const pair = steward.getByTestId("review-pair").first();
  await pair.waitFor();
  const codes = await pair.locator("h2 code").allInnerTexts();
  check(codes.length === 2, `a review pair shows ${codes.length} record keys`);
  seen.pairNames = await pair.locator("h2 .record-name").allInnerTexts();
  check((await pair.locator("table.side-by-side tbody tr").count()) > 0, "the pair has no side-by-side comparison");
  await shot(steward, "07-review-queue");
  await pair.getByRole("button", { name: "Accept: same" }).click();
  const outcome = steward.getByTestId("review-outcome");
  await outcome.waitFor();
  const merged = outcome.getByRole("link").first();
  await merged.click();
  const records = steward.getByTestId("records");
  for (const key of codes) await records.getByText(key, { exact: true }).waitFor();
  seen.accepted = codes;
  seen.mergedInto = steward.url().split("/customers/")[1];
  await shot(steward, "08-merged-customer");

  step = "the relationship map";
  await steward.getByRole("link", { name: "Relationship map" }).click();
  await steward.getByTestId("map").locator("canvas").first().waitFor();
  await steward.getByText(/The map as a list \(\d+ customers\)/).waitFor();
  await shot(steward, "09-map");

  step = "the owner filter narrows the list to one rep's accounts";
  await nav(steward, "Search").click();
  await steward.getByLabel("Owner").fill(own.owner);
  await steward.getByLabel("Owner").press("Enter");
  await steward.waitForURL(/[?&]owner=/);
  const listed = steward.getByRole("list", { name: "Customers" }).locator("li.customer-card .meta");
  // The filtered page replaces the unfiltered one (a loading state between): read the
  // cards once they are all the owner's, or give up after 30 s and report what is shown.
  let owners = [];
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await steward.waitForTimeout(200)) {
    owners = await listed.allInnerTexts();
    if (owners.length > 0 && owners.every((m) => m.endsWith(` · ${own.owner}`))) break;
  }
  check(owners.length > 0, "the owner filter lists no account");
  check(owners.every((m) => m.endsWith(` · ${own.owner}`)), `the owner filter lists ${owners.find((m) => !m.endsWith(own.owner))}`);
  seen.ownerListed = owners.length;
  await stewardContext.close();
  await desktop.close();
  seen.steps.push("done");
  console.log(JSON.stringify(seen));
} catch (error) {
  console.error(`e2e step "${step}" failed: ${error.message}`);
  if (current) await shot(current, "failed").catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
