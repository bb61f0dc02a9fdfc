import { describe, expect, it } from "vitest";
import { jsonShapeProblem } from "../../src/server/http/json-shape.js";

const limits = { maxDepth: 4, maxValues: 10 };
const check = (text: string) => jsonShapeProblem(Buffer.from(text), limits);

describe("the shape of a JSON body, read from its bytes", () => {
  it("accepts what is within the bounds", () => {
    expect(check('{"a":[1,2,{"b":[3]}]}')).toBeUndefined();
    expect(check('"just a string"')).toBeUndefined();
  });

  it("counts nesting and values outside strings only", () => {
    expect(check('{"a":"[[[[[[,,,,,,,,,,,,{{{{{{"}')).toBeUndefined();
    expect(check('{"a":"escaped \\" quote [[[[[[[","b":"\\\\"}')).toBeUndefined();
    expect(check('{"a":"\\\\\\"[[[[[["}')).toBeUndefined();
  });

  it("names the bound a body passes", () => {
    expect(check("[[[[[1]]]]]")).toBe("JSON nested deeper than 4 levels");
    expect(check(`[${"1,".repeat(20)}1]`)).toBe("JSON with more than 10 values");
    expect(check(`{"a":"\\\\"}${"[".repeat(9)}`)).toBe("JSON nested deeper than 4 levels");
  });

  it("treats an unterminated string as running to the end", () => {
    expect(check('{"a":"[[[[[[[[')).toBeUndefined();
  });
});
