import { Schema } from "effect"

/**
 * Why the example could not start, told the way an operator fixes it: what failed (`detail`), the setting that
 * decides it (`setting`: an environment variable, or null when none does) and what to do (`remedy`).
 */
export class StartupError extends Schema.TaggedError<StartupError>()("StartupError", {
  detail: Schema.String,
  setting: Schema.NullOr(Schema.String),
  remedy: Schema.String
}) {
  override get message(): string {
    return this.detail
  }
}

/** Where the details of a failed start are: none to give, in the debug log above, or in a debug log not enabled. */
export type StartupDetails = "none" | "logged" | "hidden"

const detailsHint: Readonly<Record<StartupDetails, string>> = {
  none: "",
  logged: " (the debug log above has the details)",
  hidden: " (MC_LOG_LEVEL=debug logs the details)"
}

/**
 * The one line a failed start prints on stderr: `Mission Control could not start (SETTING): what failed. What to do
 * (where the details are).` Never more than one line, whatever the texts it is made of hold.
 */
export const startupLine = (error: StartupError, details: StartupDetails): string =>
  `Mission Control could not start${
    error.setting === null ? "" : ` (${error.setting})`
  }: ${error.detail}. ${error.remedy}${detailsHint[details]}.`.replace(/\s+/g, " ")
