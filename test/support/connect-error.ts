import { ConnectError } from "@connectrpc/connect";
import { expect } from "vitest";

/** The ConnectError a call was refused with; the test fails when it was not refused with one. */
export async function connectErrorOf(call: Promise<unknown>): Promise<ConnectError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}
