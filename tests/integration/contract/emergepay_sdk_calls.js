// Drives the local emergepay stand-in with Gravity's own Node SDK (emergepay-sdk):
// every call the portal makes, with the fields the portal sends. Prints JSON.
const { emergepaySdk, TransactionType } = require("emergepay-sdk");

const [environmentUrl, oid] = process.argv.slice(2);
const origin = new URL(environmentUrl).origin;
const sdk = new emergepaySdk({ oid, authToken: "token-test", environmentUrl });
const json = { "Content-Type": "application/json" };

async function post(path, body) {
  const answer = await fetch(origin + path, { method: "POST", headers: json, body: JSON.stringify(body) });
  if (!answer.ok) throw new Error(`${path} answered ${answer.status}`);
}

async function main() {
  const out = {};
  const cardToken = await sdk.startTransaction({
    transactionType: TransactionType.CreditSale, method: "hostedFields", submissionType: "manual" });
  await post("/hosted-fields/authorize", { token: cardToken, cardNumber: "4111111111111111",
    cardExpirationDate: "12/30", cardSecurityCode: "123" });
  const sale = { transactionToken: cardToken, transactionType: TransactionType.CreditSale,
    externalTransactionId: "sdk-card", amount: "150.00", transactionReference: "C1001",
    billingName: "Rita Retail", billingPostalCode: "62704", idempotencyKey: "sdk-k-card" };
  out.sale = (await sdk.checkoutTransaction(sale)).data;
  out.replayIsFirstAnswer = JSON.stringify((await sdk.checkoutTransaction(sale)).data) === JSON.stringify(out.sale);
  try {
    await sdk.checkoutTransaction({ ...sale, amount: "151.00" });
    out.conflict = "accepted";
  } catch (error) {
    out.conflict = (error && error.message) || JSON.stringify(error);
  }
  out.lookup = (await sdk.retrieveTransaction("sdk-card")).data;
  out.refund = (await sdk.tokenizedRefundTransaction({ uniqueTransId: out.sale.uniqueTransId,
    amount: "40.00", externalTransactionId: "sdk-refund", transactionReference: "sdk-card",
    idempotencyKey: "sdk-k-refund" })).data;

  const achToken = await sdk.startTransaction({
    transactionType: TransactionType.AchSale, method: "hostedFields", submissionType: "manual" });
  await post("/hosted-fields/authorize", { token: achToken, accountNumber: "000123456789",
    routingNumber: "021000021", accountHolderName: "Rita Retail" });
  out.ach = (await sdk.checkoutTransaction({ transactionToken: achToken,
    transactionType: TransactionType.AchSale, externalTransactionId: "sdk-ach", amount: "25.00",
    transactionReference: "C1001", billingName: "Rita Retail", billingPostalCode: "62704",
    accountType: "Savings", idempotencyKey: "sdk-k-ach" })).data;
  out.void = (await sdk.voidTransaction({ uniqueTransId: out.ach.uniqueTransId,
    externalTransactionId: "sdk-ach", idempotencyKey: "sdk-k-void" })).data;
  out.achRefund = (await sdk.achRefundTransaction({ amount: "5.00", externalTransactionId: "sdk-ach-refund",
    accountHolderName: "Rita Retail", routingNumber: "021000021", accountNumber: "000123456789",
    accountType: "Checking", idempotencyKey: "sdk-k-ach-refund" })).data;

  await post("/_control", { fail: { status: 429, count: 1, path: "lookup" } });
  try {
    await sdk.retrieveTransaction("sdk-card");
    out.rateLimited = "no";
  } catch (error) {
    out.rateLimited = error.status || error.message;
  }
  console.log(JSON.stringify(out));
}

main().catch((error) => { console.error(error && (error.stack || JSON.stringify(error))); process.exit(1); });
