import { describe, expect, it } from "vitest";
import { htmlTitle, htmlToText } from "../../src/tools/core/html-text.js";

describe("htmlToText", () => {
  it("keeps the main content's text, drops scripts, styles, navigation and comments", () => {
    const page = `<html><head><title>Harbour &amp; Co</title><style>p{}</style></head><body>
      <nav>Home | About</nav><!-- a comment <main>not this</main> -->
      <main><h1>Opening hours</h1><p>Mon&ndash;Fri <b>9</b>–17<br>Sat 10–14</p>
      <script>var x = "<p>no</p>";</script><p>Closed on &#39;holidays&#x27;.</p></main>
      <footer>© 2026</footer></body></html>`;
    expect(htmlToText(page)).toBe("Opening hours\nMon&ndash;Fri 9–17\nSat 10–14\n\nClosed on 'holidays'.");
    expect(htmlTitle(page)).toBe("Harbour & Co");
  });

  it("reads a page without <main>, and one whose elements are never closed", () => {
    expect(htmlToText("<div>one</div><aside>side</aside><div>two</div>")).toBe("one\ntwo");
    expect(htmlToText("<p>text <script>never closed")).toBe("text never closed");
    expect(htmlToText("before <!-- never closed")).toBe("before"); // as browsers read it: to the end
    expect(htmlTitle("<title>never closed")).toBeUndefined();
  });

  // Each of these made the old regexes rescan to the end from every start: minutes for a megabyte
  // (a 320 KB page held the event loop 14 s). Linear, each is milliseconds; the bound is generous.
  it.each([
    ["unclosed comments", "<!--".repeat(250_000)],
    ["unclosed scripts", "<script ".repeat(120_000)],
    ["unclosed <main>", "<main ".repeat(170_000)],
    ["a tag that never ends", "<".repeat(1_000_000)],
    ["inline tags that never end", "<b ".repeat(330_000)],
    ["titles never closed", "<title>".repeat(140_000)],
  ])("takes time in proportion to a hostile page's length: %s", (_, page) => {
    const started = performance.now();
    htmlToText(page);
    htmlTitle(page);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
