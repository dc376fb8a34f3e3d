#!/usr/bin/env node
// End to end with the official TypeScript SDK client over stdio against `ghl-mcp serve --stdio
// --sandbox`: the receptionist flow a voice or chat agent runs, then the two analyses on a fresh
// sandbox, checked against the simulator's seed facts (`ghl-sim --print-seed`).
//
//   node receptionist.mjs /path/to/ghl-mcp /path/to/ghl-sim
//
// Exit code 0 when every step passed.
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const [ghlMcp, ghlSim] = process.argv.slice(2);
if (!ghlMcp || !ghlSim) {
  console.error('usage: node receptionist.mjs GHL_MCP_BINARY GHL_SIM_BINARY');
  process.exit(2);
}
const seed = JSON.parse(execFileSync(ghlSim, ['--print-seed'], { encoding: 'utf8' }));

async function connect(label) {
  const client = new Client({ name: `receptionist-${label}`, version: '1.0.0' });
  await client.connect(new StdioClientTransport({
    command: ghlMcp, args: ['serve', '--stdio', '--sandbox', '--log-level', 'warn'], stderr: 'ignore',
  }));
  return client;
}

async function call(client, name, args) {
  const r = await client.callTool({ name, arguments: args });
  assert.notEqual(r.isError, true, `${name} ${JSON.stringify(args)} failed: ${JSON.stringify(r.content)}`);
  assert.ok(r.structuredContent, `${name} returned no structuredContent`);
  return r.structuredContent;
}

function national(e164) {  // +13035550184 -> (303) 555-0184: what a person would type
  const d = e164.replace(/^\+1/, '');
  return `(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`;
}

const steps = [];
function step(text) {
  steps.push(text);
  console.log(`ok ${steps.length} - ${text}`);
}

const sameSet = (a, b, what) =>
  assert.deepEqual([...new Set(a)].sort(), [...new Set(b)].sort(), `${what} differ`);

// ---- The receptionist flow -------------------------------------------------------------------
{
  const c = await connect('flow');
  const { tools } = await c.listTools();
  for (const t of ['find_contact', 'get_free_slots', 'book_appointment', 'list_appointments',
                   'update_opportunity', 'send_message', 'add_contact_to_workflow', 'audit_pipeline',
                   'summarize_conversations'])
    assert.ok(tools.some((x) => x.name === t), `${t} not listed`);
  const status = await call(c, 'get_server_status', {});
  assert.equal(status.mode, 'sandbox');
  step(`connected; ${tools.length} tools; sandbox location ${status.defaultLocationId}`);

  // The caller: a contact with a phone, no DND, and an open deal that has a next stage.
  const { pipelines } = await call(c, 'list_pipelines', {});
  let caller = null;
  let cursor;
  do {
    const page = await call(c, 'search_opportunities', { status: 'open', limit: 50, ...(cursor ? { cursor } : {}) });
    for (const o of page.opportunities) {
      const stages = pipelines.find((p) => p.id === o.pipelineId).stages;
      const at = stages.findIndex((s) => s.id === o.pipelineStageId);
      if (at < 0 || at + 1 >= stages.length) continue;
      const { contact } = await call(c, 'get_contact', { contactId: o.contactId });
      if (!contact.phone || contact.dnd) continue;
      caller = { opportunity: o, contact, nextStage: stages[at + 1] };
      break;
    }
    cursor = page.nextCursor;
  } while (!caller && cursor);
  assert.ok(caller, 'no suitable caller in the seed');

  // 1. Caller ID: the number as a person would say it.
  const found = await call(c, 'find_contact', { phone: national(caller.contact.phone) });
  assert.equal(found.found, true);
  assert.equal(found.contact.id, caller.contact.id);
  assert.equal(found.matchedBy, 'phone');
  step(`find_contact ${national(caller.contact.phone)} -> ${found.contact.name ?? found.contact.id}`);

  // 2. Free slots in the next week.
  const { calendars } = await call(c, 'list_calendars', {});
  const calendarId = calendars[0].id;
  const day = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);
  const free = await call(c, 'get_free_slots', { calendarId, startDate: day(1), endDate: day(8) });
  assert.ok(free.slots.length > 0, 'no free slots in a week');
  const starts = free.slots.map((s) => Date.parse(s.startUtc));
  assert.deepEqual(starts, [...starts].sort((a, b) => a - b), 'slots are not sorted');
  const slot = free.slots[0];
  step(`get_free_slots -> ${free.count} slots, first ${slot.localTime}`);

  // 3. Book it, 4. see it listed, and see the slot gone.
  const { appointment } = await call(c, 'book_appointment', { calendarId, contactId: caller.contact.id, startTime: slot.start, title: 'Consultation' });
  assert.ok(appointment.id);
  const windowEnd = new Date(Date.parse(slot.startUtc) + 3600000).toISOString().replace(/\.\d+Z$/, 'Z');
  const listed = await call(c, 'list_appointments', { calendarId, startTime: slot.startUtc, endTime: windowEnd });
  assert.ok(listed.appointments.some((a) => a.id === appointment.id), 'the booking is not listed');
  const after = await call(c, 'get_free_slots', { calendarId, startDate: day(1), endDate: day(8) });
  assert.ok(!after.slots.some((s) => s.startUtc === slot.startUtc), 'the booked slot is still offered');
  const again = await c.callTool({ name: 'book_appointment', arguments: { calendarId, contactId: caller.contact.id, startTime: slot.start } });
  assert.equal(again.isError, true, 'double booking was accepted');
  step(`book_appointment ${appointment.id}; listed; slot no longer free; double booking refused`);

  // 5. Move the deal to the next stage.
  const moved = await call(c, 'update_opportunity', { opportunityId: caller.opportunity.id, pipelineStageId: caller.nextStage.id });
  assert.equal(moved.opportunity.pipelineStageId, caller.nextStage.id);
  const reread = await call(c, 'get_opportunity', { opportunityId: caller.opportunity.id });
  assert.equal(reread.opportunity.pipelineStageId, caller.nextStage.id);
  step(`update_opportunity -> stage "${caller.nextStage.name}"`);

  // 6. Confirm by SMS.
  const sms = await call(c, 'send_message', { type: 'SMS', contactId: caller.contact.id, message: `Confirmed: ${slot.localTime}. Reply to reschedule.` });
  assert.ok(sms.messageId && sms.conversationId);
  step(`send_message SMS ${sms.messageId}`);

  // 7. Into a workflow.
  const { workflows } = await call(c, 'list_workflows', {});
  const workflow = workflows.find((w) => w.status === 'published') ?? workflows[0];
  const enrolled = await call(c, 'add_contact_to_workflow', { contactId: caller.contact.id, workflowId: workflow.id });
  assert.equal(enrolled.enrolled, true);
  step(`add_contact_to_workflow "${workflow.name}"`);
  await c.close();
}

// ---- The analyses, on an untouched sandbox ---------------------------------------------------
{
  const c = await connect('analysis');
  const audit = await call(c, 'audit_pipeline', { staleDays: 14, limit: 100 });
  assert.equal(audit.complete, true);
  sameSet(audit.deals.map((d) => d.opportunityId), seed.staleOpportunityIds, 'stale deals');
  for (const d of audit.deals) assert.ok(d.suggestedNextAction && d.reason, JSON.stringify(d));
  step(`audit_pipeline flags exactly the ${seed.staleOpportunityIds.length} deals the seed made stale`);

  const summary = await call(c, 'summarize_conversations', { limit: 100 });
  const waiting = summary.conversations.filter((x) => x.status === 'waiting_for_reply').map((x) => x.id);
  sameSet(waiting, seed.waitingConversationIds, 'conversations waiting for a reply');
  sameSet(summary.attention.map((x) => x.conversationId), seed.waitingConversationIds, 'attention list');
  step(`summarize_conversations lists exactly the ${seed.waitingConversationIds.length} conversations waiting for a reply`);
  await c.close();
}
console.log(`receptionist: ${steps.length} steps passed`);
