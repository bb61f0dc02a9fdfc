import { describe, expect, it } from "vitest";
import { parseDate, parseNumber } from "../../src/backends/local-planner/extract.js";

describe("parseNumber", () => {
  it.each([
    ["1,234.56", 1234.56],
    ["$1,234.56", 1234.56],
    ["$ 1,234.56", 1234.56],
    ["£12,345.60", 12345.6],
    ["USD 1,234.56", 1234.56],
    ["1.234,56 EUR", 1234.56],
    ["€ 1.234.567,89", 1234567.89],
    ["12,5", 12.5],
    ["1 234.56", 1234.56],
    ["1 234 567,80", 1234567.8],
    ["CHF 1'234.50", 1234.5],
    ["1.234", 1234],
    ["1,234", 1234],
    ["56.10", 56.1],
    ["12", 12],
    ["-1,234.56", -1234.56],
    ["(1,234.56)", -1234.56],
    ["Total ........ 56.10", 56.1],
    ["7    $63.00", 7],
    ["1 239 90", 1239.9],
    ["1 239 900", 1239900],
  ])("%s → %s", (text, value) => {
    expect(parseNumber(text)).toBe(value);
  });

  it("every money format the invoice generator prints reads back to its value", async () => {
    const { money, MONEY_STYLES } = await import("../support/invoices.js");
    for (let style = 0; style < MONEY_STYLES; style++)
      for (const value of [0.5, 7, 56.1, 999.99, 1000, 1234.56, 12_345.6, 1_234_567.89])
        expect([style, parseNumber(money(value, style))]).toEqual([style, value]);
  });

  it("is undefined without digits", () => {
    expect(parseNumber("Total")).toBeUndefined();
    expect(parseNumber("")).toBeUndefined();
  });
});

describe("parseDate", () => {
  it.each([
    ["2024-03-07", "2024-03-07"],
    ["2024-3-7", "2024-03-07"],
    ["March 7, 2024", "2024-03-07"],
    ["Mar. 7, 2024", "2024-03-07"],
    ["7 Mar 2024", "2024-03-07"],
    ["7th March 2024", "2024-03-07"],
    ["07.03.2024", "2024-03-07"],
    ["25.12.2023", "2023-12-25"],
    ["03/07/2024", "2024-03-07"],
    ["25/12/2023", "2023-12-25"],
    ["Date: 2024-03-07", "2024-03-07"],
  ])("%s → %s", (text, iso) => {
    expect(parseDate(text)).toBe(iso);
  });

  it("every date format the invoice generator prints reads back to its day", async () => {
    const { dateText, DATE_STYLES } = await import("../support/invoices.js");
    for (let style = 0; style < DATE_STYLES; style++)
      for (const iso of ["2020-01-01", "2023-02-28", "2024-07-04", "2025-10-12", "2021-12-31"])
        expect([style, parseDate(dateText(iso, style))]).toEqual([style, iso]);
  });

  it("is undefined for what is not a date", () => {
    expect(parseDate("INV-4801")).toBeUndefined();
    expect(parseDate("2024-13-01")).toBeUndefined();
    expect(parseDate("Due Date")).toBeUndefined();
  });
});
