<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Backends</name>
    <message>
        <source>portable CPU build: the {module} variant was chosen at start for this processor</source>
        <translation>通用 CPU 版本：启动时为此处理器选用了 {module} 变体</translation>
    </message>
    <message>
        <source>portable CPU build: a variant was chosen at start for this processor</source>
        <translation>通用 CPU 版本：启动时为此处理器选用了一个变体</translation>
    </message>
    <message>
        <source>CUDA build: layers go to the NVIDIA GPU</source>
        <translation>CUDA 版本：模型层在 NVIDIA GPU 上运行</translation>
    </message>
    <message>
        <source>CUDA build, but no usable NVIDIA GPU or driver: it runs on the CPU</source>
        <translation>CUDA 版本，但没有可用的 NVIDIA GPU 或驱动：在 CPU 上运行</translation>
    </message>
    <message>
        <source>native CPU build (-march=native): stops with &apos;illegal instruction&apos; on a processor older than its build machine&apos;s</source>
        <translation>本机优化 CPU 版本（-march=native）：在比构建机更旧的处理器上会因“非法指令”（illegal instruction）而停止</translation>
    </message>
    <message>
        <source>portable</source>
        <translation>通用版</translation>
    </message>
    <message>
        <source>portable ({module})</source>
        <translation>通用版（{module}）</translation>
    </message>
    <message>
        <source>CUDA (no GPU found)</source>
        <translation>CUDA 版（未找到 GPU）</translation>
    </message>
    <message>
        <source>native (-march=native)</source>
        <translation>本机优化版（-march=native）</translation>
    </message>
</context>
<context>
    <name>CaseFiles</name>
    <message>
        <source>sheet &apos;{sheet}&apos; line {line}: {reason}</source>
        <translation>工作表“{sheet}”第 {line} 行：{reason}</translation>
    </message>
    <message>
        <source>line {line}: {reason}</source>
        <translation>第 {line} 行：{reason}</translation>
    </message>
    <message>
        <source>not valid JSON ({error})</source>
        <translation>不是有效的 JSON（{error}）</translation>
    </message>
    <message>
        <source>not a JSON object</source>
        <translation>不是 JSON 对象</translation>
    </message>
    <message>
        <source>a \u escape that is no character (lone surrogate)</source>
        <translation>含有不对应任何字符的 \u 转义（孤立代理项）</translation>
    </message>
    <message>
        <source>not readable as CSV ({error})</source>
        <translation>无法按 CSV 读取（{error}）</translation>
    </message>
    <message>
        <source>more cells than the header has columns</source>
        <translation>单元格数多于表头列数</translation>
    </message>
    <message>
        <source>empty {columns}</source>
        <translation>{columns} 为空</translation>
    </message>
    <message>
        <source>findings longer than {limit:,} characters</source>
        <translation>检查所见超过 {limit:,} 个字符</translation>
    </message>
</context>
<context>
    <name>Charts</name>
    <message>
        <source>Gap = every answer NA (no score), not 0: {gaps}.</source>
        <translation>空缺 = 所有回答均为 NA（无评分），并非 0 分：{gaps}。</translation>
    </message>
</context>
<context>
    <name>ColumnMappingDialog</name>
    <message>
        <source>Findings</source>
        <translation>检查所见</translation>
    </message>
    <message>
        <source>Reference impression (optional)</source>
        <translation>参考诊断意见（可选）</translation>
    </message>
    <message>
        <source>Model (hidden from raters)</source>
        <translation>模型（评分者看不到）</translation>
    </message>
    <message>
        <source>Candidate impression (to be scored)</source>
        <translation>待评诊断意见（供评分）</translation>
    </message>
    <message>
        <source>Institution</source>
        <translation>机构</translation>
    </message>
    <message>
        <source>Body system</source>
        <translation>检查部位</translation>
    </message>
    <message>
        <source>Modality</source>
        <translation>检查方式</translation>
    </message>
    <message>
        <source>Case id</source>
        <translation>病例编号</translation>
    </message>
    <message>
        <source>Age</source>
        <translation>年龄</translation>
    </message>
    <message>
        <source>Sex</source>
        <translation>性别</translation>
    </message>
    <message>
        <source>Columns of {name}</source>
        <translation>{name} 的列</translation>
    </message>
    <message>
        <source>Which column of {name} holds each field? Known column names were filled in; check each and change any that is wrong. Rows with an empty findings, model or candidate cell are named by line and skipped.</source>
        <translation>{name} 中哪一列对应各个字段？已按常见列名自动填写；请逐项核对，有误请更改。检查所见、模型或待评诊断意见为空的行将按行号列出并跳过。</translation>
    </message>
    <message>
        <source>&amp;Import</source>
        <translation>导入(&amp;I)</translation>
    </message>
    <message>
        <source>— no column —</source>
        <translation>— 无此列 —</translation>
    </message>
    <message>
        <source>or one name for every row, e.g. radiologist</source>
        <translation>或为所有行填写同一名称，例如 放射科医生</translation>
    </message>
    <message>
        <source>Choose a column for {fields} to import.</source>
        <translation>请先为 {fields} 选择列，再导入。</translation>
    </message>
</context>
<context>
    <name>CorpusNotice</name>
    <message>
        <source>No past reports yet: drafts use RadVal&apos;s built-in starter examples. Import past reports (CSV/XLSX/JSONL from the reporting system) so drafts follow your department&apos;s style.</source>
        <translation>尚无既往报告：草稿使用 RadVal 内置的示例。导入既往报告（报告系统导出的 CSV/XLSX/JSONL），草稿即可遵循本科室的书写风格。</translation>
    </message>
    <message>
        <source>Past reports are kept in the history database, and history is off: drafts use RadVal&apos;s built-in starter examples.</source>
        <translation>既往报告保存在历史记录数据库中，而历史记录已关闭：草稿使用 RadVal 内置的示例。</translation>
    </message>
    <message>
        <source>Import past reports…</source>
        <translation>导入既往报告…</translation>
    </message>
    <message>
        <source>Past reports (*.csv *.tsv *.xlsx *.jsonl);;All files (*)</source>
        <translation>既往报告 (*.csv *.tsv *.xlsx *.jsonl);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Examples: none — history is off</source>
        <translation>示例：无（历史记录已关闭）</translation>
    </message>
    <message>
        <source>Examples: none — starter examples</source>
        <translation>示例：无（使用内置示例）</translation>
    </message>
    <message>
        <source>Examples: {count:,}</source>
        <translation>示例：{count:,} 条</translation>
    </message>
    <message>
        <source>1 pair imported</source>
        <translation>已导入 1 对</translation>
    </message>
    <message>
        <source>{count:,} pairs imported</source>
        <translation>已导入 {count:,} 对</translation>
    </message>
    <message>
        <source>{pairs}, {duplicates:,} already there</source>
        <translation>{pairs}，{duplicates:,} 对已存在</translation>
    </message>
    <message>
        <source>.</source>
        <translation>。</translation>
    </message>
    <message>
        <source>1 row skipped</source>
        <translation>跳过 1 行</translation>
    </message>
    <message>
        <source>{count:,} rows skipped</source>
        <translation>跳过 {count:,} 行</translation>
    </message>
    <message>
        <source>{text}; {skipped} (first: {problem}).</source>
        <translation>{text}；{skipped}（第一处：{problem}）。</translation>
    </message>
    <message>
        <source>Importing…</source>
        <translation>正在导入…</translation>
    </message>
    <message>
        <source>Import needs history on (Settings)…</source>
        <translation>导入需开启历史记录（设置）…</translation>
    </message>
    <message>
        <source>Turn on Settings &gt; History to keep past reports as examples; this opens Settings.</source>
        <translation>在“设置”中开启历史记录，才能将既往报告保存为示例；点击将打开“设置”。</translation>
    </message>
</context>
<context>
    <name>Dates</name>
    <message>
        <source>d MMM yyyy HH:mm</source>
        <translation>yyyy年M月d日 HH:mm</translation>
    </message>
    <message>
        <source>d MMM yyyy</source>
        <translation>yyyy年M月d日</translation>
    </message>
</context>
<context>
    <name>Device</name>
    <message>
        <source>this llama.cpp build has no GPU support (no CUDA)</source>
        <translation>此 llama.cpp 版本不支持 GPU（无 CUDA）</translation>
    </message>
    <message>
        <source>GPU offload is turned off in the settings (GPU layers = 0)</source>
        <translation>设置中已关闭 GPU 加速（GPU 层数 = 0）</translation>
    </message>
    <message>
        <source>all {total} layers offloaded</source>
        <translation>全部 {total} 层在 GPU 上</translation>
    </message>
    <message>
        <source>all layers offloaded</source>
        <translation>全部层在 GPU 上</translation>
    </message>
    <message>
        <source>{layers} of {total} layers offloaded</source>
        <translation>{total} 层中 {layers} 层在 GPU 上</translation>
    </message>
    <message>
        <source>{layers} layers offloaded</source>
        <translation>{layers} 层在 GPU 上</translation>
    </message>
</context>
<context>
    <name>DraftPanel</name>
    <message>
        <source>Paste the FINDINGS section of the report here.</source>
        <translation>请在此粘贴报告的“检查所见”部分。</translation>
    </message>
    <message>
        <source>Generate (Ctrl+Enter)</source>
        <translation>生成 (Ctrl+Enter)</translation>
    </message>
    <message>
        <source>Stop (Esc)</source>
        <translation>停止 (Esc)</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <source>Copy to clipboard</source>
        <translation>复制到剪贴板</translation>
    </message>
    <message>
        <source>The impression appears here; edit it before copying.</source>
        <translation>诊断意见将显示在此处；复制前请核对修改。</translation>
    </message>
    <message>
        <source>Use past examples</source>
        <translation>参考既往报告</translation>
    </message>
    <message>
        <source>Put the most similar accepted impressions of this body system into the prompt, in your institution&apos;s style.</source>
        <translation>将本检查部位最相似的已采用诊断意见放入提示词，使草稿符合本院的书写风格。</translation>
    </message>
    <message>
        <source>Body system</source>
        <translation>检查部位</translation>
    </message>
    <message>
        <source>Modality</source>
        <translation>检查方式</translation>
    </message>
    <message>
        <source>Findings</source>
        <translation>检查所见</translation>
    </message>
    <message>
        <source>Impression</source>
        <translation>诊断意见</translation>
    </message>
    <message>
        <source>The model is still loading; the draft starts as soon as it is ready.</source>
        <translation>模型仍在加载；加载完成后立即开始生成草稿。</translation>
    </message>
    <message>
        <source>Drafting…</source>
        <translation>正在生成草稿…</translation>
    </message>
    <message>
        <source>There is no impression to copy yet.</source>
        <translation>尚无可复制的诊断意见。</translation>
    </message>
    <message>
        <source> 1 safety flag was still open.</source>
        <translation> 仍有 1 条安全提示未处理。</translation>
    </message>
    <message>
        <source> {count} safety flags were still open.</source>
        <translation> 仍有 {count} 条安全提示未处理。</translation>
    </message>
    <message>
        <source>Copied: paste it into the reporting system.</source>
        <translation>已复制：请粘贴到报告系统中。</translation>
    </message>
    <message>
        <source>Reopened the draft of {when} UTC.</source>
        <translation>已重新打开 {when} UTC 的草稿。</translation>
    </message>
    <message>
        <source>English</source>
        <translation>英文</translation>
    </message>
    <message>
        <source>中文 (Chinese)</source>
        <translation>中文</translation>
    </message>
    <message>
        <source>Language: {name}</source>
        <translation>语言：{name}</translation>
    </message>
    <message>
        <source>The draft came out empty; trying again (attempt {n})…</source>
        <translation>草稿为空；正在重试（第 {n} 次）…</translation>
    </message>
    <message>
        <source>The draft only restated the findings; trying again (attempt {n})…</source>
        <translation>草稿只是复述了检查所见；正在重试（第 {n} 次）…</translation>
    </message>
    <message>
        <source>The draft contradicted the findings; trying again (attempt {n})…</source>
        <translation>草稿与检查所见矛盾；正在重试（第 {n} 次）…</translation>
    </message>
    <message>
        <source>The draft ran on longer than an impression; trying again (attempt {n})…</source>
        <translation>草稿写得比诊断意见还长，仍未结束；正在重试（第 {n} 次）…</translation>
    </message>
    <message>
        <source>The draft repeated itself; trying again (attempt {n})…</source>
        <translation>草稿出现重复；正在重试（第 {n} 次）…</translation>
    </message>
    <message>
        <source>Draft ready: check and edit it, then Copy.</source>
        <translation>草稿已生成：请核对修改后再复制。</translation>
    </message>
    <message>
        <source>Stopped. The text so far can be edited or regenerated.</source>
        <translation>已停止。已生成的文字可编辑或重新生成。</translation>
    </message>
    <message>
        <source> Based on 1 similar past report.</source>
        <translation> 参考了 1 份相似的既往报告。</translation>
    </message>
    <message>
        <source> Based on {count} similar past reports.</source>
        <translation> 参考了 {count} 份相似的既往报告。</translation>
    </message>
    <message>
        <source> Based on RadVal&apos;s starter examples (no similar past report).</source>
        <translation> 参考了 RadVal 内置示例（无相似的既往报告）。</translation>
    </message>
    <message>
        <source> ({note})</source>
        <translation>（{note}）</translation>
    </message>
    <message>
        <source>; </source>
        <translation>；</translation>
    </message>
</context>
<context>
    <name>FlagList</name>
    <message>
        <source>Dismiss flag</source>
        <translation>忽略此提示</translation>
    </message>
    <message>
        <source>The flag is wrong for this case; the dismissal is kept in the history with the draft.</source>
        <translation>此提示不适用于本病例；忽略记录将随草稿保存在历史记录中。</translation>
    </message>
    <message>
        <source>⚠ {title}: {reason}</source>
        <translation>⚠ {title}：{reason}</translation>
    </message>
    <message>
        <source>Safety checks: {count} to look at before copying</source>
        <translation>安全检查：复制前有 {count} 处需核对</translation>
    </message>
    <message>
        <source>Safety checks: nothing flagged</source>
        <translation>安全检查：未发现问题</translation>
    </message>
</context>
<context>
    <name>FlagReasons</name>
    <message>
        <source>both sides</source>
        <translation>双侧</translation>
    </message>
    <message>
        <source>the left</source>
        <translation>左侧</translation>
    </message>
    <message>
        <source>the right</source>
        <translation>右侧</translation>
    </message>
    <message>
        <source>The impression says {said!r}; the findings describe this on {where}.</source>
        <translation>诊断意见写“{said}”，而检查所见描述在{where}。</translation>
    </message>
    <message>
        <source>The impression says {said!r}; the findings describe the lung findings in {where} only.</source>
        <translation>诊断意见写“{said}”，而检查所见的肺部病变仅在{where}。</translation>
    </message>
    <message>
        <source>The impression states {concept!r} that the findings rule out.</source>
        <translation>诊断意见提出“{concept}”，而检查所见已将其排除。</translation>
    </message>
    <message>
        <source>The impression rules out {concept!r} that the findings describe.</source>
        <translation>诊断意见排除了“{concept}”，而检查所见有描述。</translation>
    </message>
    <message>
        <source>The impression says {said!r}; the findings describe {concept!r}.</source>
        <translation>诊断意见写“{said}”，而检查所见描述了“{concept}”。</translation>
    </message>
    <message>
        <source>The impression says only {said!r}; the findings describe {concept!r}.</source>
        <translation>诊断意见仅写“{said}”，而检查所见描述了“{concept}”。</translation>
    </message>
    <message>
        <source>The findings describe {concept!r}; the impression does not mention it.</source>
        <translation>检查所见描述了“{concept}”，诊断意见未提及。</translation>
    </message>
    <message>
        <source>The impression states {concept!r}; nothing in the findings supports it.</source>
        <translation>诊断意见提出“{concept}”，检查所见中无支持依据。</translation>
    </message>
    <message>
        <source>The impression says {said!r}; the findings describe nothing abnormal there.</source>
        <translation>诊断意见写“{said}”，而检查所见该处未见异常。</translation>
    </message>
    <message>
        <source>The impression says {said!r}; the findings describe nothing abnormal.</source>
        <translation>诊断意见写“{said}”，而检查所见未见异常。</translation>
    </message>
    <message>
        <source>The impression says {said!r}; the findings call it normal there: {quote!r}.</source>
        <translation>诊断意见写“{said}”，而检查所见称该处正常：“{quote}”。</translation>
    </message>
    <message>
        <source>The impression states {concept!r}; nothing in the findings supports it. It is in an example&apos;s impression: the model copied the example.</source>
        <translation>诊断意见提出“{concept}”，检查所见中无支持依据；该诊断出自示例的诊断意见：模型照抄了示例。</translation>
    </message>
</context>
<context>
    <name>FlagTitles</name>
    <message>
        <source>Side or lobe</source>
        <translation>侧别或肺叶</translation>
    </message>
    <message>
        <source>Negation</source>
        <translation>否定</translation>
    </message>
    <message>
        <source>Called normal</source>
        <translation>误称正常</translation>
    </message>
    <message>
        <source>Called abnormal</source>
        <translation>误称异常</translation>
    </message>
    <message>
        <source>Possibly missed</source>
        <translation>可能遗漏</translation>
    </message>
    <message>
        <source>Unsupported</source>
        <translation>缺乏依据</translation>
    </message>
</context>
<context>
    <name>Guards</name>
    <message>
        <source>&apos;{unit}&apos; repeated {repeats} times</source>
        <translation>“{unit}”重复了 {repeats} 次</translation>
    </message>
    <message>
        <source>the model returned no text</source>
        <translation>模型未返回任何文字</translation>
    </message>
    <message>
        <source>The draft lists {count} items as normal, one by one, instead of concluding.</source>
        <translation>草稿逐条列出 {count} 项正常表现，而未给出结论。</translation>
    </message>
    <message>
        <source>The draft repeats {share:.0%} of the findings instead of concluding.</source>
        <translation>草稿重复了 {share:.0%} 的检查所见，而未给出结论。</translation>
    </message>
    <message>
        <source>the draft ran past {tokens} tokens without ending, longer than an impression</source>
        <translation>草稿超过 {tokens} 个词元仍未结束，比诊断意见还长</translation>
    </message>
</context>
<context>
    <name>HistoryPanel</name>
    <message>
        <source>(no impression)</source>
        <translation>（无诊断意见）</translation>
    </message>
    <message>
        <source>Search findings and impressions…</source>
        <translation>搜索检查所见和诊断意见…</translation>
    </message>
    <message>
        <source>Open in Draft view</source>
        <translation>在草稿页打开</translation>
    </message>
    <message>
        <source>History is turned off in Settings; drafts are not kept.</source>
        <translation>历史记录已在“设置”中关闭；草稿不会保存。</translation>
    </message>
    <message>
        <source>No drafts match.</source>
        <translation>没有匹配的草稿。</translation>
    </message>
    <message>
        <source>No drafts yet.</source>
        <translation>尚无草稿。</translation>
    </message>
</context>
<context>
    <name>InferenceWorker</name>
    <message>
        <source>The model has not been loaded yet.</source>
        <translation>模型尚未加载。</translation>
    </message>
    <message>
        <source>Checking the model file…</source>
        <translation>正在检查模型文件…</translation>
    </message>
    <message>
        <source>Loading {name}…</source>
        <translation>正在加载 {name}…</translation>
    </message>
    <message>
        <source>No model is loaded: {reason}</source>
        <translation>未加载模型：{reason}</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>{kind}: llama.cpp {build}; {reason}</source>
        <translation>{kind}：llama.cpp {build}；{reason}</translation>
    </message>
    <message>
        <source>{kind}: {reason}</source>
        <translation>{kind}：{reason}</translation>
    </message>
    <message>
        <source>RadVal — draft impressions</source>
        <translation>RadVal — 诊断意见草稿</translation>
    </message>
    <message>
        <source>Draft</source>
        <translation>草稿</translation>
    </message>
    <message>
        <source>History</source>
        <translation>历史记录</translation>
    </message>
    <message>
        <source>Study</source>
        <translation>研究</translation>
    </message>
    <message>
        <source>Scoring</source>
        <translation>评分</translation>
    </message>
    <message>
        <source>Results</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Model: —</source>
        <translation>模型：—</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>&amp;RadVal</source>
        <translation>RadVal(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Import past reports…</source>
        <translation>导入既往报告(&amp;I)…</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>Model: none (IT&apos;s settings file cannot be read)</source>
        <translation>模型：无（无法读取 IT 的设置文件）</translation>
    </message>
    <message>
        <source>Model not loaded</source>
        <translation>模型未加载</translation>
    </message>
    <message>
        <source>Loading the model…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <source> + adapter {name}</source>
        <translation> + 适配器 {name}</translation>
    </message>
    <message>
        <source>Model: {name}</source>
        <translation>模型：{name}</translation>
    </message>
    <message>
        <source>Ready (loaded in {seconds:.1f} s)</source>
        <translation>就绪（加载用时 {seconds:.1f} 秒）</translation>
    </message>
    <message>
        <source>Computed from a {kind} copy in memory: this CPU reads prompts faster from it.</source>
        <translation>按内存中的 {kind} 副本计算：本机 CPU 用它读取提示词更快。</translation>
    </message>
    <message>
        <source>Its file calls it: {name}</source>
        <translation>文件内名称：{name}</translation>
    </message>
    <message>
        <source>Model: none</source>
        <translation>模型：无</translation>
    </message>
    <message>
        <source>{sentence} Choose another model file in Settings.</source>
        <translation>{sentence} 请在“设置”中选择其他模型文件。</translation>
    </message>
    <message>
        <source>Drafting…</source>
        <translation>正在生成草稿…</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <source>{rate:.1f} tokens/s</source>
        <translation>{rate:.1f} 词元/秒</translation>
    </message>
    <message>
        <source>{seconds:.1f} s</source>
        <translation>{seconds:.1f} 秒</translation>
    </message>
    <message>
        <source>Import past reports</source>
        <translation>导入既往报告</translation>
    </message>
    <message>
        <source>Past reports are kept in the history database: turn history on in Settings to import them.</source>
        <translation>既往报告保存在历史记录数据库中：请先在“设置”中开启历史记录再导入。</translation>
    </message>
    <message>
        <source>An import is still running; try again when it is done.</source>
        <translation>导入仍在进行；请在完成后再试。</translation>
    </message>
    <message>
        <source>Examples: importing…</source>
        <translation>示例：正在导入…</translation>
    </message>
    <message>
        <source>Importing {name}…</source>
        <translation>正在导入 {name}…</translation>
    </message>
    <message>
        <source>The import failed: {sentence}</source>
        <translation>导入失败：{sentence}</translation>
    </message>
    <message>
        <source>Examples: unavailable</source>
        <translation>示例：不可用</translation>
    </message>
</context>
<context>
    <name>Merge</name>
    <message>
        <source>{score} at {time} ({file})</source>
        <translation>{score}（{time}，{file}）</translation>
    </message>
    <message>
        <source>{rater} · {metric} · candidate {candidate}: kept {kept}, dropped {dropped}</source>
        <translation>{rater} · {metric} · 待评诊断意见 {candidate}：保留 {kept}，舍弃 {dropped}</translation>
    </message>
    <message>
        <source>cases</source>
        <translation>病例表</translation>
    </message>
    <message>
        <source>candidates</source>
        <translation>待评诊断意见表</translation>
    </message>
    <message>
        <source>raters</source>
        <translation>评分者表</translation>
    </message>
    <message>
        <source>studies</source>
        <translation>研究表</translation>
    </message>
    <message>
        <source>study candidates</source>
        <translation>研究候选表</translation>
    </message>
    <message>
        <source>assignments</source>
        <translation>分配表</translation>
    </message>
    <message>
        <source>answers</source>
        <translation>答案表</translation>
    </message>
    <message>
        <source>cursors</source>
        <translation>进度表</translation>
    </message>
    <message>
        <source>case</source>
        <translation>病例</translation>
    </message>
    <message>
        <source>candidate</source>
        <translation>待评诊断意见</translation>
    </message>
    <message>
        <source>rater</source>
        <translation>评分者</translation>
    </message>
    <message>
        <source>study</source>
        <translation>研究</translation>
    </message>
    <message>
        <source>understandability</source>
        <translation>可理解性</translation>
    </message>
    <message>
        <source>coherence</source>
        <translation>连贯性</translation>
    </message>
    <message>
        <source>relevance</source>
        <translation>相关性</translation>
    </message>
    <message>
        <source>conciseness</source>
        <translation>简洁性</translation>
    </message>
    <message>
        <source>clinical_utility</source>
        <translation>临床实用性</translation>
    </message>
    <message>
        <source>missed_diagnosis</source>
        <translation>漏诊</translation>
    </message>
    <message>
        <source>overdiagnosis</source>
        <translation>过度诊断</translation>
    </message>
    <message>
        <source>junior</source>
        <translation>初级</translation>
    </message>
    <message>
        <source>intermediate</source>
        <translation>中级</translation>
    </message>
    <message>
        <source>senior</source>
        <translation>高级</translation>
    </message>
    <message>
        <source> ({rater} · {metric})</source>
        <translation>（{rater} · {metric}）</translation>
    </message>
    <message>
        <source> ({name})</source>
        <translation>（{name}）</translation>
    </message>
    <message>
        <source>{table} row {number}{who}: {reason}; left out.</source>
        <translation>{table}第 {number} 行{who}：{reason}；已略去。</translation>
    </message>
    <message>
        <source>{count} {table} of {name} left out: that {target} was left out above or is in no file merged.</source>
        <translation>{name} 的{table}中 {count} 行已略去：该{target}已在上文中略去，或不在任何已合并的文件中。</translation>
    </message>
    <message>
        <source>the rater {name} is {level} here but {kept} in a file merged before; kept {kept}.</source>
        <translation>评分者 {name} 在此文件中为{level}，但在之前合并的文件中为{kept}；保留{kept}。</translation>
    </message>
    <message>
        <source>{table} row{who} was changed in the future ({changed}); counted as changed at the merge ({merged}), so any dated edit wins over it.</source>
        <translation>{table}中的一行{who}的修改时间在未来（{changed}）；按合并时间（{merged}）计，因此任何带日期的修改都优先于它。</translation>
    </message>
    <message>
        <source>its uuid does not match its content (a copy of another row would be counted twice); expected {expected}</source>
        <translation>其 uuid 与内容不符（另一行的副本会被重复计数）；应为 {expected}</translation>
    </message>
    <message>
        <source>the rater has no name</source>
        <translation>评分者没有姓名</translation>
    </message>
    <message>
        <source>the level {level!r} is not junior, intermediate or senior</source>
        <translation>级别“{level}”不是初级、中级或高级</translation>
    </message>
    <message>
        <source>the study has no name</source>
        <translation>研究没有名称</translation>
    </message>
    <message>
        <source>the metric {metric!r} is not one of the seven metrics</source>
        <translation>指标“{metric}”不是七项指标之一</translation>
    </message>
    <message>
        <source>NA is {na!r}, not 0 or 1</source>
        <translation>NA 值为“{na}”，而不是 0 或 1</translation>
    </message>
    <message>
        <source>it is NA with a score</source>
        <translation>标为 NA 却有评分</translation>
    </message>
    <message>
        <source>the score {score!r} is not {low} to {high} or NA</source>
        <translation>评分 {score} 不在 {low} 至 {high} 之间，也不是 NA</translation>
    </message>
    <message>
        <source>its quotes are not a list of texts</source>
        <translation>其引用不是文本列表</translation>
    </message>
    <message>
        <source>its explanation is not text</source>
        <translation>其说明不是文本</translation>
    </message>
    <message>
        <source>its times are not ISO 8601 times with a zone</source>
        <translation>其作答或修改时间不是带时区的 ISO 8601 时间</translation>
    </message>
    <message>
        <source>its position is not a number</source>
        <translation>其位置不是数字</translation>
    </message>
    <message>
        <source>its time is not an ISO 8601 time with a zone</source>
        <translation>其时间不是带时区的 ISO 8601 时间</translation>
    </message>
</context>
<context>
    <name>MetricEditor</name>
    <message>
        <source>&amp;Score (0–100):</source>
        <translation>评分(&amp;S)（0–100）：</translation>
    </message>
    <message>
        <source>NA — not applicable (Alt+N)</source>
        <translation>NA — 不适用 (Alt+N)</translation>
    </message>
    <message>
        <source>Quote selection (Alt+Q)</source>
        <translation>引用所选 (Alt+Q)</translation>
    </message>
    <message>
        <source>Remove quote</source>
        <translation>删除引用</translation>
    </message>
    <message>
        <source>One reason a line</source>
        <translation>每行一个原因</translation>
    </message>
    <message>
        <source>&amp;Explanation:</source>
        <translation>原因(&amp;E)：</translation>
    </message>
    <message>
        <source>One reason a line — quote the {part} first (Alt+Q)</source>
        <translation>每行一个原因 — 先引用{part}（Alt+Q）</translation>
    </message>
</context>
<context>
    <name>ModelCard</name>
    <message>
        <source>model card</source>
        <translation>模型说明</translation>
    </message>
    <message>
        <source>base model</source>
        <translation>基础模型</translation>
    </message>
    <message>
        <source>prompt</source>
        <translation>提示词</translation>
    </message>
    <message>
        <source>{template} (templates {version}, {layout} layout)</source>
        <translation>{template}（模板 {version}，{layout}格式）</translation>
    </message>
    <message>
        <source>trained</source>
        <translation>训练时间</translation>
    </message>
    <message>
        <source>reports</source>
        <translation>报告数</translation>
    </message>
    <message>
        <source>{train} train; test: {tests}</source>
        <translation>训练 {train} 份；测试：{tests}</translation>
    </message>
    <message>
        <source>r={r} alpha={alpha} lr={lr} epochs={epochs} batch={batch}</source>
        <translation>r={r}，alpha={alpha}，学习率 {lr}，轮数 {epochs}，批大小 {batch}</translation>
    </message>
    <message>
        <source>eval loss</source>
        <translation>验证损失</translation>
    </message>
    <message>
        <source>{loss:.4f} (before {before:.4f})</source>
        <translation>{loss:.4f}（训练前 {before:.4f}）</translation>
    </message>
    <message>
        <source>{rouge:.4f} on {cases} validation cases</source>
        <translation>{rouge:.4f}（{cases} 例验证病例）</translation>
    </message>
    <message>
        <source>chat template</source>
        <translation>对话模板</translation>
    </message>
    <message>
        <source>plain</source>
        <translation>纯文本</translation>
    </message>
</context>
<context>
    <name>ModelColumns</name>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Arch</source>
        <translation>架构</translation>
    </message>
    <message>
        <source>Params</source>
        <translation>参数量</translation>
    </message>
    <message>
        <source>Quant</source>
        <translation>量化</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>内存</translation>
    </message>
    <message>
        <source>Fits</source>
        <translation>可运行</translation>
    </message>
    <message>
        <source>Allowlist</source>
        <translation>批准名单</translation>
    </message>
    <message>
        <source>Card</source>
        <translation>模型说明</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
</context>
<context>
    <name>ModelSources</name>
    <message>
        <source>embedded default</source>
        <translation>内置默认模型</translation>
    </message>
    <message>
        <source>models folder</source>
        <translation>模型文件夹</translation>
    </message>
    <message>
        <source>settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>hub cache {where}</source>
        <translation>模型缓存 {where}</translation>
    </message>
</context>
<context>
    <name>ModelsPanel</name>
    <message>
        <source>not hashed yet</source>
        <translation>尚未计算校验值</translation>
    </message>
    <message>
        <source>no allowlist</source>
        <translation>无批准名单</translation>
    </message>
    <message>
        <source>approved</source>
        <translation>已批准</translation>
    </message>
    <message>
        <source>NOT approved</source>
        <translation>未批准</translation>
    </message>
    <message>
        <source>adapter</source>
        <translation>适配器</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>NO</source>
        <translation>否</translation>
    </message>
    <message>
        <source>{verdict} ({device})</source>
        <translation>{verdict}（{device}）</translation>
    </message>
    <message>
        <source>tuned from {base}</source>
        <translation>基于 {base} 微调</translation>
    </message>
    <message>
        <source>fine-tuned</source>
        <translation>已微调</translation>
    </message>
    <message>
        <source>{base}, {date}</source>
        <translation>{base}，{date}</translation>
    </message>
    <message>
        <source>Trained at {created} (as the model card writes it)</source>
        <translation>训练时间（模型说明中的原文）：{created}</translation>
    </message>
    <message>
        <source>RAM</source>
        <translation>内存</translation>
    </message>
    <message>
        <source>GPU</source>
        <translation>GPU</translation>
    </message>
    <message>
        <source>{needed} needed; {device} size unknown</source>
        <translation>需要 {needed}；{device}容量未知</translation>
    </message>
    <message>
        <source>fits: {needed} needed of {total} {device}</source>
        <translation>可容纳：需要 {needed}，{device}共 {total}</translation>
    </message>
    <message>
        <source>does not fit: {needed} needed of {total} {device}</source>
        <translation>无法容纳：需要 {needed}，{device}仅 {total}</translation>
    </message>
    <message>
        <source>sha256 {digest} ({allowlist})</source>
        <translation>sha256 {digest}（{allowlist}）</translation>
    </message>
    <message>
        <source>being computed…</source>
        <translation>正在计算…</translation>
    </message>
    <message>
        <source>LoRA adapter for {architecture} models (converted against {base}): select its base model above and choose it under Adapter.</source>
        <translation>用于 {architecture} 模型的 LoRA 适配器（基于 {base} 转换）：请在上方选择其基础模型，再在“适配器”中选中它。</translation>
    </message>
    <message>
        <source>LoRA adapter for {architecture} models: select its base model above and choose it under Adapter.</source>
        <translation>用于 {architecture} 模型的 LoRA 适配器：请在上方选择其基础模型，再在“适配器”中选中它。</translation>
    </message>
    <message>
        <source>trained context {tokens:,} tokens; </source>
        <translation>训练上下文 {tokens:,} 词元；</translation>
    </message>
    <message>
        <source>{label}: {value}</source>
        <translation>{label}：{value}</translation>
    </message>
    <message>
        <source>No model card beside this file.</source>
        <translation>此文件旁没有模型说明。</translation>
    </message>
    <message>
        <source>{source}; </source>
        <translation>{source}；</translation>
    </message>
    <message>
        <source>Rescan</source>
        <translation>重新扫描</translation>
    </message>
    <message>
        <source>A LoRA adapter applied on top of the model: one per institution, exported by training.</source>
        <translation>叠加在模型上的 LoRA 适配器：每个机构一个，由训练导出。</translation>
    </message>
    <message>
        <source>Use this model</source>
        <translation>使用此模型</translation>
    </message>
    <message>
        <source>Download from mirror…</source>
        <translation>从镜像下载…</translation>
    </message>
    <message>
        <source>Adapter:</source>
        <translation>适配器：</translation>
    </message>
    <message>
        <source>Files not listed, and why:</source>
        <translation>未列出的文件及原因：</translation>
    </message>
    <message>
        <source>Models folder: {folders}</source>
        <translation>模型文件夹：{folders}</translation>
    </message>
    <message>
        <source>IT fixed the model in the system settings.</source>
        <translation>IT 已在系统设置中固定了模型。</translation>
    </message>
    <message>
        <source>Looking for models…</source>
        <translation>正在查找模型…</translation>
    </message>
    <message>
        <source>{name}: {reason}</source>
        <translation>{name}：{reason}</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <source>None</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Models: {models}, adapters: {adapters}, files refused: {refused} (scanned in {seconds:.2f} s)</source>
        <translation>模型 {models} 个，适配器 {adapters} 个，拒绝的文件 {refused} 个（扫描用时 {seconds:.2f} 秒）</translation>
    </message>
    <message>
        <source>{found}; computing {count} checksums…</source>
        <translation>{found}；正在计算 {count} 个校验值…</translation>
    </message>
    <message>
        <source>Loading {model} with {adapter}…</source>
        <translation>正在加载 {model}，适配器 {adapter}…</translation>
    </message>
    <message>
        <source>Loading {model}…</source>
        <translation>正在加载 {model}…</translation>
    </message>
    <message>
        <source>Download from the hospital&apos;s mirror</source>
        <translation>从医院镜像下载</translation>
    </message>
    <message>
        <source>File (owner/repo/file.gguf):</source>
        <translation>文件（owner/repo/file.gguf）：</translation>
    </message>
    <message>
        <source>Downloading {file} from {mirror}…</source>
        <translation>正在从 {mirror} 下载 {file}…</translation>
    </message>
    <message>
        <source>{done:,.0f} of {total:,.0f} MB (%p%)</source>
        <translation>{done:,.0f} / {total:,.0f} MB（%p%）</translation>
    </message>
    <message>
        <source>Downloaded and approved: {name}. </source>
        <translation>已下载并通过批准：{name}。</translation>
    </message>
</context>
<context>
    <name>ProgressTable</name>
    <message>
        <source>Rater</source>
        <translation>评分者</translation>
    </message>
    <message>
        <source>Level</source>
        <translation>级别</translation>
    </message>
    <message>
        <source>Answered</source>
        <translation>已答</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>总数</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Last answer</source>
        <translation>最近作答</translation>
    </message>
    <message>
        <source>Mean</source>
        <translation>均分</translation>
    </message>
    <message>
        <source>NA</source>
        <translation>不适用</translation>
    </message>
</context>
<context>
    <name>PromptNotes</name>
    <message>
        <source>{count} example(s) left out: too long for the context</source>
        <translation>{count} 个示例过长、超出上下文，未使用</translation>
    </message>
    <message>
        <source>the model has no chat template</source>
        <translation>模型没有对话模板</translation>
    </message>
    <message>
        <source>the model&apos;s chat template failed ({error}); plain layout</source>
        <translation>模型的对话模板出错（{error}）；改用纯文本格式</translation>
    </message>
    <message>
        <source>the model&apos;s chat template leaves out the findings; plain layout</source>
        <translation>模型的对话模板遗漏了检查所见；改用纯文本格式</translation>
    </message>
</context>
<context>
    <name>RadvalError</name>
    <message>
        <source>Stopped.</source>
        <translation>已停止。</translation>
    </message>
    <message>
        <source>The findings are too long for this model: the prompt is {tokens:,} tokens and at most {room:,} fit (context {n_ctx:,} tokens, {max_tokens} kept for the impression). Shorten the findings or raise the context size in Settings.</source>
        <translation>检查所见对此模型过长：提示词为 {tokens:,} 个词元，最多只能容纳 {room:,} 个（上下文 {n_ctx:,} 个词元，其中 {max_tokens} 个留给诊断意见）。请缩短检查所见，或在“设置”中增大上下文长度。</translation>
    </message>
    <message>
        <source>The model gave no impression after {tries} tries; write this one by hand.</source>
        <translation>模型尝试 {tries} 次后仍未给出诊断意见；请手动书写本例。</translation>
    </message>
    <message>
        <source>Not usable: every draft copied a diagnosis from RadVal&apos;s built-in examples that the findings do not support ({detail}) after {tries} tries. Write this impression by hand, or import past reports (Draft tab) so the model sees your department&apos;s impressions.</source>
        <translation>不可用：尝试 {tries} 次，每份草稿都照搬了 RadVal 内置示例中检查所见并不支持的诊断（{detail}）。请手动书写此诊断意见，或导入既往报告（草稿页），使模型参照本科室的诊断意见。</translation>
    </message>
    <message>
        <source>Not usable: every draft contradicted the findings ({detail}) after {tries} tries. Write this impression by hand.</source>
        <translation>不可用：尝试 {tries} 次，每份草稿都与检查所见矛盾（{detail}）。请手动书写此诊断意见。</translation>
    </message>
    <message>
        <source>Not usable: the model restated the findings instead of concluding ({detail}) after {tries} tries. Write this impression by hand, or import past reports (Draft tab) so the model sees your department&apos;s impressions.</source>
        <translation>不可用：尝试 {tries} 次，模型都只复述检查所见而未给出结论（{detail}）。请手动书写此诊断意见，或导入既往报告（草稿页），让模型参考本科室的诊断意见。</translation>
    </message>
    <message>
        <source>Not usable: the model restated the findings instead of concluding ({detail}) after {tries} tries. Write this impression by hand, or try another template.</source>
        <translation>不可用：尝试 {tries} 次，模型都只复述检查所见而未给出结论（{detail}）。请手动书写此诊断意见，或换用其他模板。</translation>
    </message>
    <message>
        <source>Not usable: every draft ran on longer than an impression ({detail}) after {tries} tries. Write this impression by hand, or try another template.</source>
        <translation>不可用：尝试 {tries} 次后，每份草稿都写得比诊断意见还长（{detail}）。请手写此诊断意见，或换一个模板。</translation>
    </message>
    <message>
        <source>The model got stuck repeating itself ({detail}) after {tries} tries; write this one by hand or try another template.</source>
        <translation>尝试 {tries} 次后模型仍在重复输出（{detail}）；请手动书写本例，或换用其他模板。</translation>
    </message>
    <message>
        <source>There is no database at {path}.</source>
        <translation>{path} 处没有数据库。</translation>
    </message>
    <message>
        <source>{path} is not a RadVal study database, or it is damaged ({error}); nothing was merged. Check that you named the study file the rater sent back (a .db file), or ask that rater to send it again.</source>
        <translation>{path} 不是 RadVal 研究数据库，或已损坏（{error}）；未合并任何内容。请确认选择的是评分者交回的研究文件（.db 文件），或请该评分者重新发送。</translation>
    </message>
    <message>
        <source>{file}: {problem}</source>
        <translation>{file}：{problem}。</translation>
    </message>
    <message>
        <source>The output {out} is also an input; name a new file with -o.</source>
        <translation>输出文件 {out} 同时也是输入文件；请用 -o 指定一个新文件。</translation>
    </message>
    <message>
        <source>The merge stopped: {err}. {out} holds what was merged so far; run the merge again once the cause is fixed.</source>
        <translation>合并已中止：{err}。{out} 中保存了目前已合并的内容；排除原因后请重新合并。</translation>
    </message>
    <message>
        <source>{name} holds no batch outputs yet; run `radval batch`.</source>
        <translation>{name} 中尚无批量输出；请运行 `radval batch`。</translation>
    </message>
    <message>
        <source>Something went wrong; details are in the log.</source>
        <translation>出现错误；详细信息见日志。</translation>
    </message>
    <message>
        <source>{name} is neither UTF-8 nor GBK text.</source>
        <translation>{name} 既不是 UTF-8 也不是 GBK 编码的文本。</translation>
    </message>
    <message>
        <source>The case file {path} cannot be read: {strerror}.</source>
        <translation>无法读取病例文件 {path}：{strerror}。</translation>
    </message>
    <message>
        <source>{name}: use a .csv, .tsv, .xlsx or .jsonl case file.</source>
        <translation>{name}：请使用 .csv、.tsv、.xlsx 或 .jsonl 病例文件。</translation>
    </message>
    <message>
        <source>{name} is not a readable Excel workbook ({err}).</source>
        <translation>{name} 不是可读取的 Excel 工作簿（{err}）。</translation>
    </message>
    <message>
        <source>{name} has no sheet named &apos;{sheet}&apos;; its sheets are: {sheets}.</source>
        <translation>{name} 中没有名为“{sheet}”的工作表；其工作表为：{sheets}。</translation>
    </message>
    <message>
        <source>{name} has a cell past Excel&apos;s last row ({xlsx_max_rows:,}) or column ({xlsx_max_columns:,}): the workbook is damaged or was not saved by a spreadsheet program. Open it in Excel or LibreOffice and save it again.</source>
        <translation>{name} 中有单元格超出 Excel 的最后一行（{xlsx_max_rows:,}）或最后一列（{xlsx_max_columns:,}）：工作簿已损坏，或不是由电子表格软件保存的。请用 Excel 或 LibreOffice 打开后重新保存。</translation>
    </message>
    <message>
        <source>{name} is too large to read: its rows up to {number:,} already span more than {xlsx_max_cells:,} cells. Save only the report columns (or split the file) and import it again.</source>
        <translation>{name} 过大，无法读取：前 {number:,} 行已超过 {xlsx_max_cells:,} 个单元格。请只保存报告相关的列（或拆分文件）后重新导入。</translation>
    </message>
    <message>
        <source>The column &apos;{mapping}&apos; mapped to {name} is not in the file; its columns are: {columns}.</source>
        <translation>映射到 {name} 的列“{mapping}”不在文件中；文件的列为：{columns}。</translation>
    </message>
    <message>
        <source>{name} has no column for {missing} (columns: {columns}); give a column mapping.</source>
        <translation>{name} 中没有 {missing} 对应的列（现有列：{columns}）；请指定列映射。</translation>
    </message>
    <message>
        <source>{path}: &apos;{section}&apos; is not a [section]; ignored.</source>
        <translation>{path}：“{section}”不是一个 [节]，已忽略。</translation>
    </message>
    <message>
        <source>The settings file {path} cannot be read and is ignored: {error}.</source>
        <translation>设置文件 {path} 无法读取，已忽略：{error}。</translation>
    </message>
    <message>
        <source>IT&apos;s settings file {path} {problem}, so no model is loaded until it is fixed: {fix}. Tell your IT department.</source>
        <translation>IT 的设置文件 {path} {problem}，修复之前不会加载任何模型：请{fix}。请告知 IT 部门。</translation>
    </message>
    <message>
        <source>{source}: unknown setting &apos;{key}&apos; ignored.</source>
        <translation>{source}：未知设置“{key}”，已忽略。</translation>
    </message>
    <message>
        <source>{source}: &apos;{key}&apos; should be a list of strings, not {value!r}; default used.</source>
        <translation>{source}：“{key}”应为字符串列表，而不是“{value}”；已使用默认值。</translation>
    </message>
    <message>
        <source>{source}: {bad} in &apos;{key}&apos; are not sha256 values (64 hex digits).</source>
        <translation>{source}：“{key}”中的 {bad} 不是 sha256 值（应为 64 位十六进制数）。</translation>
    </message>
    <message>
        <source>{source}: &apos;{key}&apos; should be {kind}, not {value!r}; default used.</source>
        <translation>{source}：“{key}”应为{kind}，而不是“{value}”；已使用默认值。</translation>
    </message>
    <message>
        <source>{source}: &apos;{key}&apos; should be a table of name = &quot;URL&quot;, not {value!r}; no server is used.</source>
        <translation>{source}：“{key}”应为“名称 = &quot;URL&quot;”形式的表，而不是“{value}”；不使用任何服务器。</translation>
    </message>
    <message>
        <source>{source}: the server {name} = {url!r} in &apos;{key}&apos; is not an http or https URL; it is not used.</source>
        <translation>{source}：“{key}”中的服务器“{name}” = “{url}”不是 http 或 https 地址，不予使用。</translation>
    </message>
    <message>
        <source>{file}: &apos;{key}&apos; is read from IT&apos;s settings file only; ignored here.</source>
        <translation>{file}：“{key}”只从 IT 的设置文件读取；此处的设置已忽略。</translation>
    </message>
    <message>
        <source>{file}: {keys} and &apos;{last}&apos; are read from IT&apos;s settings file only; ignored here.</source>
        <translation>{file}：{keys} 和 &apos;{last}&apos; 只从 IT 的设置文件读取；此处的设置已忽略。</translation>
    </message>
    <message>
        <source>&apos;{key}&apos; is set by IT in {sources} and cannot be changed here.</source>
        <translation>“{key}”已由 IT 在 {sources} 中设定，此处无法更改。</translation>
    </message>
    <message>
        <source>There is no setting &apos;{key}&apos;.</source>
        <translation>没有名为“{key}”的设置项。</translation>
    </message>
    <message>
        <source>The value for &apos;{key}&apos; holds a character that is not text (a lone surrogate), so it was not saved; type it again.</source>
        <translation>“{key}”的值含有非文本字符（孤立代理项），未保存；请重新输入。</translation>
    </message>
    <message>
        <source>The settings could not be written so that they read back the same; {user_file} was not changed.</source>
        <translation>设置无法写入后原样读回；{user_file} 未被更改。</translation>
    </message>
    <message>
        <source>IT fixed the model to {configured} in {sources}; another model cannot be chosen here.</source>
        <translation>IT 已在 {sources} 中将模型固定为 {configured}；此处无法选择其他模型。</translation>
    </message>
    <message>
        <source>{name} is a model, not a LoRA adapter; choose it as the model instead, or pick an adapter exported by training.</source>
        <translation>{name} 是模型，不是 LoRA 适配器；请将其作为模型选择，或选择由训练导出的适配器。</translation>
    </message>
    <message>
        <source>{name} is a &apos;{kind}&apos; adapter; RadVal applies LoRA only.</source>
        <translation>{name} 是“{kind}”类型的适配器；RadVal 只支持 LoRA。</translation>
    </message>
    <message>
        <source>The adapter {name} was made for a {architecture} model, but the model {base_name} is {base_architecture}; choose the adapter trained on this model.</source>
        <translation>适配器 {name} 是为 {architecture} 模型制作的，而模型 {base_name} 是 {base_architecture}；请选择基于此模型训练的适配器。</translation>
    </message>
    <message>
        <source>The adapter {name} is not on IT&apos;s list of approved files (sha256 {digest_short}…); ask IT to approve it, or draft without it.</source>
        <translation>适配器 {name} 不在 IT 的批准文件名单中（sha256 {digest_short}…）；请联系 IT 批准，或不使用该适配器生成草稿。</translation>
    </message>
    <message>
        <source>The adapter {name} does not fit the model {base_name}: {detail}. It was made for another base model (or another size of it); choose the adapter trained on this model.</source>
        <translation>适配器 {name} 与模型 {base_name} 不匹配：{detail}。它是为另一个基础模型（或其另一种规模）制作的；请选择在此模型上训练的适配器。</translation>
    </message>
    <message>
        <source>it holds only half of the LoRA pair for {tensor}</source>
        <translation>它只含有 {tensor} 的 LoRA 对中的一半</translation>
    </message>
    <message>
        <source>it changes the tensor {tensor}, which the model does not have</source>
        <translation>它修改张量 {tensor}，而该模型没有此张量</translation>
    </message>
    <message>
        <source>its LoRA for {tensor} is not a pair of matrices over a matrix</source>
        <translation>它对 {tensor} 的 LoRA 不是作用于矩阵的一对矩阵</translation>
    </message>
    <message>
        <source>its LoRA for {tensor} has the shapes {a} and {b}, which do not fit the model&apos;s {target}</source>
        <translation>它对 {tensor} 的 LoRA 形状为 {a} 和 {b}，与模型的 {target} 不符</translation>
    </message>
    <message>
        <source>The adapter {name} changes the token embeddings, and the model {base_name} shares them with its output layer (tied embeddings), so llama.cpp cannot apply it and would stop RadVal. Ask for an adapter trained without embedding LoRA (training: --set train.stage_one_fraction=0), or for the merged model.</source>
        <translation>适配器 {name} 修改词嵌入，而模型 {base_name} 的输出层与词嵌入共用（绑定嵌入），因此 llama.cpp 无法应用它，并会使 RadVal 停止运行。请索取不含嵌入 LoRA 训练的适配器（training：--set train.stage_one_fraction=0），或索取合并后的模型。</translation>
    </message>
    <message>
        <source>llama.cpp could not apply the adapter {name}: its tensors do not match this model (it was trained on another base model) or the file is damaged.</source>
        <translation>llama.cpp 无法应用适配器 {name}：其张量与此模型不匹配（基于其他基础模型训练），或文件已损坏。</translation>
    </message>
    <message>
        <source>llama.cpp could not apply the adapter {name}.</source>
        <translation>llama.cpp 无法应用适配器 {name}。</translation>
    </message>
    <message>
        <source>The model file {name} is not on IT&apos;s list of approved models (sha256 {sha256_short}…); ask IT to approve it, or choose an approved model.</source>
        <translation>模型文件 {name} 不在 IT 的批准模型名单中（sha256 {sha256_short}…）；请联系 IT 批准，或选择已批准的模型。</translation>
    </message>
    <message>
        <source>RadVal could not read the file {name} (an error in RadVal; the details are in the log).</source>
        <translation>RadVal 无法读取文件 {name}（RadVal 内部错误；详情见日志）。</translation>
    </message>
    <message>
        <source>There is no model &apos;{model_key}&apos; in the models folders; `radval models` lists them.</source>
        <translation>模型文件夹中没有模型“{model_key}”；`radval models` 可列出所有模型。</translation>
    </message>
    <message>
        <source>The model {name} is not on IT&apos;s list of approved models (sha256 {sha256_short}…); ask IT to approve it.</source>
        <translation>模型 {name} 不在 IT 的批准模型名单中（sha256 {sha256_short}…）；请联系 IT 批准。</translation>
    </message>
    <message>
        <source>There is no adapter &apos;{adapter_key}&apos; in the models folders.</source>
        <translation>模型文件夹中没有适配器“{adapter_key}”。</translation>
    </message>
    <message>
        <source>The adapter {name} was made for a {architecture} model, not for {model_name} ({model_architecture}).</source>
        <translation>适配器 {name} 是为 {architecture} 模型制作的，不适用于 {model_name}（{model_architecture}）。</translation>
    </message>
    <message>
        <source>The adapter {name} is not on IT&apos;s list of approved files; ask IT to approve it.</source>
        <translation>适配器 {name} 不在 IT 的批准文件名单中；请联系 IT 批准。</translation>
    </message>
    <message>
        <source>The default model is not installed (package {distribution} is missing). Re-run the installer, or set a model file in the settings.</source>
        <translation>默认模型未安装（缺少软件包 {distribution}）。请重新运行安装程序，或在设置中指定模型文件。</translation>
    </message>
    <message>
        <source>The default model package {distribution} is version {version}, but RadVal was tested with {part_version}. Re-run the installer.</source>
        <translation>默认模型软件包 {distribution} 的版本为 {version}，而 RadVal 经测试的版本为 {part_version}。请重新运行安装程序。</translation>
    </message>
    <message>
        <source>The default model package {distribution} lacks {file}.</source>
        <translation>默认模型软件包 {distribution} 缺少 {file}。</translation>
    </message>
    <message>
        <source>The default model file {bundled} does not match its checksum; it was changed or damaged. Reinstall RadVal.</source>
        <translation>默认模型文件 {bundled} 与其校验值不符；文件已被更改或损坏。请重新安装 RadVal。</translation>
    </message>
    <message>
        <source>The default model file {target} does not match its checksum; it was changed or damaged. Re-run the installer.</source>
        <translation>默认模型文件 {target} 与其校验值不符；文件已被更改或损坏。请重新运行安装程序。</translation>
    </message>
    <message>
        <source>The default model&apos;s packages do not assemble into the expected file (checksum mismatch). Re-run the installer.</source>
        <translation>默认模型的软件包无法组合成预期的文件（校验值不符）。请重新运行安装程序。</translation>
    </message>
    <message>
        <source>The default model cannot be written to {parent}: {strerror}.</source>
        <translation>无法将默认模型写入 {parent}：{strerror}。</translation>
    </message>
    <message>
        <source>The model file {path} does not exist.</source>
        <translation>模型文件 {path} 不存在。</translation>
    </message>
    <message>
        <source>The model path {path} is not a file.</source>
        <translation>模型路径 {path} 不是文件。</translation>
    </message>
    <message>
        <source>The model file {path} is empty or too small to be a GGUF model.</source>
        <translation>模型文件 {path} 为空或过小，不是 GGUF 模型。</translation>
    </message>
    <message>
        <source>The model file {path} cannot be read: {strerror}.</source>
        <translation>无法读取模型文件 {path}：{strerror}。</translation>
    </message>
    <message>
        <source>The file {name} is not a GGUF model (wrong magic bytes); RadVal needs a quantized .gguf file made for llama.cpp.</source>
        <translation>文件 {name} 不是 GGUF 模型（文件标识不符）；RadVal 需要为 llama.cpp 制作的量化 .gguf 文件。</translation>
    </message>
    <message>
        <source>The GGUF file {name} has version {version}; 2 or 3 needed.</source>
        <translation>GGUF 文件 {name} 的版本为 {version}；需要版本 2 或 3。</translation>
    </message>
    <message>
        <source>The model file {name} is damaged: {err}. Copy the file again, or ask whoever made it for a good copy.</source>
        <translation>模型文件 {name} 已损坏：{err}。请重新复制文件，或向文件制作者索取完好的副本。</translation>
    </message>
    <message>
        <source>The model file {name} is damaged or truncated (its header cannot be read).</source>
        <translation>模型文件 {name} 已损坏或不完整（无法读取文件头）。</translation>
    </message>
    <message>
        <source>The model file {name} is truncated: it has {size:,} bytes but its tensors need {needed:,}. Copy the file again.</source>
        <translation>模型文件 {name} 不完整：只有 {size:,} 字节，而其张量需要 {needed:,} 字节。请重新复制文件。</translation>
    </message>
    <message>
        <source>IT offers only {offered} from the hospital&apos;s mirror, not {repo_id}/{filename}; ask IT to add it to hub.files.</source>
        <translation>IT 只从医院镜像提供 {offered}，不提供 {repo_id}/{filename}；请联系 IT 将其加入 hub.files。</translation>
    </message>
    <message>
        <source>{repo_id}/{filename} is not in the hub cache {cache}; ask IT to add it to the cache copied to this workstation.</source>
        <translation>{repo_id}/{filename} 不在模型缓存 {cache} 中；请联系 IT 将其加入复制到本工作站的缓存。</translation>
    </message>
    <message>
        <source>&apos;{spec}&apos; is not a mirror file: write owner/repo/file.gguf.</source>
        <translation>“{spec}”不是镜像文件：请写成 owner/repo/file.gguf。</translation>
    </message>
    <message>
        <source>Downloads are turned off on this computer (HF_HUB_OFFLINE is set); ask IT to remove it or to add the model to the hub cache.</source>
        <translation>此计算机已关闭下载（设置了 HF_HUB_OFFLINE）；请让 IT 取消该设置，或将模型加入 hub 缓存。</translation>
    </message>
    <message>
        <source>The hospital&apos;s model mirror ({endpoint}) has no {what}.</source>
        <translation>医院的模型镜像（{endpoint}）中没有 {what}。</translation>
    </message>
    <message>
        <source>The hospital&apos;s model mirror ({endpoint}) has no file {what}.</source>
        <translation>医院的模型镜像（{endpoint}）中没有文件 {what}。</translation>
    </message>
    <message>
        <source>The hospital&apos;s model mirror ({endpoint}) cannot be reached or refused the download of {what} ({error}); try again later or ask IT.</source>
        <translation>无法连接医院的模型镜像（{endpoint}），或其拒绝了 {what} 的下载（{error}）；请稍后重试或联系 IT。</translation>
    </message>
    <message>
        <source>Downloads are off: IT has not configured the hospital&apos;s model mirror (hub.endpoint), so RadVal never uses the network.</source>
        <translation>下载已关闭：IT 未配置医院的模型镜像（hub.endpoint），因此 RadVal 不使用网络。</translation>
    </message>
    <message>
        <source>The mirror gave no checksum (etag) for {what}; ask IT.</source>
        <translation>镜像未提供 {what} 的校验值（etag）；请联系 IT。</translation>
    </message>
    <message>
        <source>The mirror gives no sha256 for {what} and IT&apos;s allowlist is empty, so the download cannot be checked and was not started; ask IT to add the file&apos;s sha256 to model.allowed_sha256.</source>
        <translation>镜像未提供 {what} 的 sha256，且 IT 的批准名单为空，下载无法校验，因此未开始；请联系 IT 将该文件的 sha256 加入 model.allowed_sha256。</translation>
    </message>
    <message>
        <source>The download of {name} is damaged (its sha256 is not the mirror&apos;s); it was deleted, try again.</source>
        <translation>{name} 的下载已损坏（sha256 与镜像不符）；已删除，请重试。</translation>
    </message>
    <message>
        <source>A different file named {name} is already in {parent}; move it away and download again.</source>
        <translation>{parent} 中已有另一个名为 {name} 的文件；请将其移走后重新下载。</translation>
    </message>
    <message>
        <source>The model file {name} is not the approved one: its sha256 is {digest_short}…, the configured one is {expected}….</source>
        <translation>模型文件 {name} 不是批准的文件：其 sha256 为 {digest_short}…，配置的是 {expected}…。</translation>
    </message>
    <message>
        <source>The model file {name} changed while it was being checked; it was not loaded. Try again.</source>
        <translation>模型文件 {name} 在校验过程中被更改；未加载。请重试。</translation>
    </message>
    <message>
        <source>llama.cpp could not load {name} ({err}). The file may be made for a newer llama.cpp or be damaged.</source>
        <translation>llama.cpp 无法加载 {name}（{err}）。该文件可能是为更新版本的 llama.cpp 制作的，或已损坏。</translation>
    </message>
    <message>
        <source>The model is not loaded yet.</source>
        <translation>模型尚未加载。</translation>
    </message>
    <message>
        <source>The {what} {path} does not exist.</source>
        <translation>{what} {path} 不存在。</translation>
    </message>
    <message>
        <source>The {what} {path} cannot be read: {strerror}.</source>
        <translation>无法读取 {what} {path}：{strerror}。</translation>
    </message>
    <message>
        <source>The {what} path {path} is not a file.</source>
        <translation>{what} 路径 {path} 不是文件。</translation>
    </message>
    <message>
        <source>There is not enough memory for RadVal&apos;s private copy of the {what} {name} ({megabytes:,.0f} MB): {strerror}. Close other programs, or ask IT to install the file read-only (owned by root), which loads without a copy.</source>
        <translation>内存不足，RadVal 无法为 {what} {name}（{megabytes:,.0f} MB）创建私有副本：{strerror}。请关闭其他程序，或请 IT 以只读方式（属主为 root）安装该文件，这样加载时无需副本。</translation>
    </message>
    <message>
        <source>The {what} {name} changed while it was loading; it was not used. Load it again once nothing is writing to it.</source>
        <translation>{what} {name} 在加载过程中被更改；未使用。请在没有程序写入该文件后重新加载。</translation>
    </message>
    <message>
        <source>There is no study named &apos;{name}&apos; in this database.</source>
        <translation>此数据库中没有名为“{name}”的研究。</translation>
    </message>
    <message>
        <source>This database holds several studies ({names}); choose one: `radval report --study-name NAME` on the command line, or the Study box in the Results tab.</source>
        <translation>此数据库包含多个研究（{names}）；请选择一个：命令行用 `radval report --study-name NAME`，或在“结果”页的“研究”框中选择。</translation>
    </message>
    <message>
        <source>The findings are empty: paste the FINDINGS section of the report.</source>
        <translation>检查所见为空：请粘贴报告的“检查所见”部分。</translation>
    </message>
    <message>
        <source>The findings are {count:,} characters long; at most {max_findings_chars:,} are accepted. Paste the FINDINGS section of one report only.</source>
        <translation>检查所见长 {count:,} 个字符；最多接受 {max_findings_chars:,} 个。请只粘贴一份报告的“检查所见”部分。</translation>
    </message>
    <message>
        <source>The pasted text contains {control} control or unassigned characters and does not look like report text (a binary file?). Paste the FINDINGS as plain text.</source>
        <translation>粘贴的文本含有 {control} 个控制字符或未分配字符，不像报告文本（二进制文件？）。请以纯文本粘贴“检查所见”。</translation>
    </message>
    <message>
        <source>The pasted text contains {broken} broken characters (unpaired surrogates); paste the FINDINGS again from the report as plain text.</source>
        <translation>粘贴的文本含有 {broken} 个损坏字符（未配对的代理项）；请从报告中以纯文本重新粘贴“检查所见”。</translation>
    </message>
    <message>
        <source>The findings contain no words: paste the FINDINGS section of the report.</source>
        <translation>检查所见中没有文字：请粘贴报告的“检查所见”部分。</translation>
    </message>
    <message>
        <source>There is no prompt template &apos;{key}&apos;; known: {known}.</source>
        <translation>没有提示词模板“{key}”；已有模板：{known}。</translation>
    </message>
    <message>
        <source>The prompt template file {path} cannot be used: {err!r}.</source>
        <translation>提示词模板文件 {path} 无法使用：{err!r}。</translation>
    </message>
    <message>
        <source>RadVal drafts CT, MRI and XR reports only; the modality &apos;{modality}&apos; is none of them.</source>
        <translation>RadVal 只为 CT、MRI 和 XR 报告起草；检查方式“{modality}”不属于其中任何一种。</translation>
    </message>
    <message>
        <source>Unknown modality &apos;{modality}&apos;; use one of {known}.</source>
        <translation>未知的检查方式“{modality}”；请使用以下之一：{known}。</translation>
    </message>
    <message>
        <source>The alias file {path} is not valid: {where} must be a list of names in quotes. Correct the file.</source>
        <translation>别名文件 {path} 无效：{where} 必须是加引号的名称列表。请更正该文件。</translation>
    </message>
    <message>
        <source>The alias file {path} cannot be read ({err}). Correct the file or restore the bundled one.</source>
        <translation>无法读取别名文件 {path}（{err}）。请更正该文件，或恢复随附的文件。</translation>
    </message>
    <message>
        <source>The alias file {path} maps to &apos;{name}&apos;, which is not one of {known}. Correct the file.</source>
        <translation>别名文件 {path} 映射到“{name}”，它不属于 {known}。请更正该文件。</translation>
    </message>
    <message>
        <source>The alias file {path} maps &apos;{word}&apos; twice ({first} and {second}). Keep one.</source>
        <translation>别名文件 {path} 将“{word}”映射了两次（{first} 和 {second}）。请只保留一个。</translation>
    </message>
    <message>
        <source>Unknown body system &apos;{body_system}&apos;; use one of {known}.</source>
        <translation>未知的检查部位“{body_system}”；请使用以下之一：{known}。</translation>
    </message>
    <message>
        <source>The model&apos;s chat template was still running after {render_budget_seconds:g} s (a template loops for ever) and was refused; ask IT for a trustworthy model file.</source>
        <translation>模型的对话模板运行 {render_budget_seconds:g} 秒后仍未结束（模板陷入死循环），已被拒绝；请向 IT 索取可信的模型文件。</translation>
    </message>
    <message>
        <source>The model&apos;s chat template builds a text far larger than a prompt (a value over {max_value_size:,} characters, or {render_build_limit:,} in all, or {megabytes} MB of memory) and was refused; ask IT for a trustworthy model file.</source>
        <translation>模型的对话模板生成的文本远大于提示词（单个值超过 {max_value_size:,} 个字符，或总计超过 {render_build_limit:,}，或占用 {megabytes} MB 内存），已被拒绝；请向 IT 索取可信的模型文件。</translation>
    </message>
    <message>
        <source>The model&apos;s chat template tries to leave its sandbox and was refused; ask IT for a trustworthy model file.</source>
        <translation>模型的对话模板试图越出沙箱，已被拒绝；请向 IT 索取可信的模型文件。</translation>
    </message>
    <message>
        <source>The history database{where} is locked by another program; close other RadVal windows and try again.</source>
        <translation>历史记录数据库{where}被其他程序锁定；请关闭其他 RadVal 窗口后重试。</translation>
    </message>
    <message>
        <source>The history database{where} is read-only; ask IT to give your account write access, or turn history off in Settings.</source>
        <translation>历史记录数据库{where}为只读；请联系 IT 为您的账户开通写入权限，或在“设置”中关闭历史记录。</translation>
    </message>
    <message>
        <source>The disk holding the history database{where} is full; free some space.</source>
        <translation>历史记录数据库{where}所在的磁盘已满；请清理出部分空间。</translation>
    </message>
    <message>
        <source>The history database{where} is damaged or is not a RadVal database; move it away (RadVal starts a new one) or turn history off in Settings.</source>
        <translation>历史记录数据库{where}已损坏或不是 RadVal 数据库；请将其移走（RadVal 会新建一个），或在“设置”中关闭历史记录。</translation>
    </message>
    <message>
        <source>The history database{where} cannot be read or written ({error}); check the disk and the folder&apos;s permissions.</source>
        <translation>历史记录数据库{where}无法读写（{error}）；请检查磁盘和文件夹权限。</translation>
    </message>
    <message>
        <source>The history database {path} cannot be created: {strerror}.</source>
        <translation>无法创建历史记录数据库 {path}：{strerror}。</translation>
    </message>
    <message>
        <source>The study database{where} is locked by another program (another RadVal window or a merge?); close it and go on. Your answer is kept on screen and saved with your next change.</source>
        <translation>研究数据库{where}被其他程序锁定（另一个 RadVal 窗口或正在合并？）；请关闭后继续。您的回答保留在屏幕上，下次修改时一并保存。</translation>
    </message>
    <message>
        <source>The study database{where} is read-only; scoring needs write access. Your answer is kept on screen and saved with your next change.</source>
        <translation>研究数据库{where}为只读；评分需要写入权限。您的回答保留在屏幕上，下次修改时一并保存。</translation>
    </message>
    <message>
        <source>The disk holding the study database{where} is full; free some space. Your answer is kept on screen and saved with your next change.</source>
        <translation>研究数据库{where}所在的磁盘已满；请清理出部分空间。您的回答保留在屏幕上，下次修改时一并保存。</translation>
    </message>
    <message>
        <source>The study database{where} is damaged or is not a RadVal database; ask the study lead for a fresh copy (your answers so far are in its backup).</source>
        <translation>研究数据库{where}已损坏或不是 RadVal 数据库；请向研究负责人索取新的副本（您已给出的回答在其备份中）。</translation>
    </message>
    <message>
        <source>The study database{where} cannot be read or written ({error}). Your answer is kept on screen and saved with your next change.</source>
        <translation>研究数据库{where}无法读写（{error}）。您的回答保留在屏幕上，下次修改时一并保存。</translation>
    </message>
    <message>
        <source>The study database {path} is read-only; scoring needs write access. Copy it to a folder of your own, or ask IT.</source>
        <translation>研究数据库 {path} 为只读；评分需要写入权限。请将其复制到您自己的文件夹，或联系 IT。</translation>
    </message>
    <message>
        <source>The folder of the study database {path} is read-only; scoring needs write access. Copy the file to a folder of your own.</source>
        <translation>研究数据库 {path} 所在文件夹为只读；评分需要写入权限。请将文件复制到您自己的文件夹。</translation>
    </message>
    <message>
        <source>Give the rater&apos;s name.</source>
        <translation>请填写评分者姓名。</translation>
    </message>
    <message>
        <source>The rater&apos;s level is one of {levels}, not &apos;{level}&apos;.</source>
        <translation>评分者级别须为 {levels} 之一，而不是“{level}”。</translation>
    </message>
    <message>
        <source>{name} is already {level} in this study file; the study lead sets a rater&apos;s level once, because it decides which group&apos;s mean they count in. To change it on purpose: radval study assign --rater &quot;{name}&quot; --level {new} --change-level (with --db and --study).</source>
        <translation>{name} 在此研究文件中已是 {level} 级别；评分者级别由研究负责人设定一次，因为它决定此人计入哪一组的均分。如确需更改：radval study assign --rater &quot;{name}&quot; --level {new} --change-level（并加 --db 和 --study）。</translation>
    </message>
    <message>
        <source>No case in this file is from institution &apos;{name}&apos;; the institutions in it are none (import candidates first). Give one of them as institution 1 (the internal one, IHG).</source>
        <translation>此文件中没有来自机构“{name}”的病例；文件中尚无任何机构（请先导入待评诊断意见）。请从中选择一个作为机构 1（内部机构，IHG）。</translation>
    </message>
    <message>
        <source>No case in this file is from institution &apos;{name}&apos;; the institutions in it are {listed}. Give one of them as institution 1 (the internal one, IHG).</source>
        <translation>此文件中没有来自机构“{name}”的病例；文件中的机构为 {listed}。请从中选择一个作为机构 1（内部机构，IHG）。</translation>
    </message>
    <message>
        <source>Give the study a name.</source>
        <translation>请为研究命名。</translation>
    </message>
    <message>
        <source>The study &apos;{name}&apos; has been handed out to 1 rater, so it is frozen</source>
        <translation>研究“{name}”已分发给 1 位评分者，因此已冻结</translation>
    </message>
    <message>
        <source>The study &apos;{name}&apos; has been handed out to {raters} raters, so it is frozen</source>
        <translation>研究“{name}”已分发给 {raters} 位评分者，因此已冻结</translation>
    </message>
    <message>
        <source>{handed}: the 1 new candidate in this file would be missing from the raters&apos; copies. Create a new study for it with another name (--name &quot;{name} 2&quot;).</source>
        <translation>{handed}：此文件中的 1 条新的待评诊断意见不在评分者手中的副本里。请为它另建一个名称不同的研究（--name &quot;{name} 2&quot;）。</translation>
    </message>
    <message>
        <source>{handed}: the {new} new candidates in this file would be missing from the raters&apos; copies. Create a new study for them with another name (--name &quot;{name} 2&quot;).</source>
        <translation>{handed}：此文件中的 {new} 条新的待评诊断意见不在评分者手中的副本里。请为它们另建一个名称不同的研究（--name &quot;{name} 2&quot;）。</translation>
    </message>
    <message>
        <source>{handed}: its shuffle seed stays {old_seed} (the raters&apos; order depends on it). Create a new study to use another seed.</source>
        <translation>{handed}：其随机排序种子保持为 {old_seed}（评分者看到的顺序由它决定）。如需使用其他种子，请新建一个研究。</translation>
    </message>
    <message>
        <source>A score is {score_min} to {score_max}, not {score}.</source>
        <translation>评分应为 {score_min} 到 {score_max}，而不是 {score}。</translation>
    </message>
    <message>
        <source>{name} has no rows to import.</source>
        <translation>{name} 中没有可导入的行。</translation>
    </message>
    <message>
        <source>This database holds no batch outputs yet and no reader study; run `radval batch` or `radval study` first.</source>
        <translation>此数据库中尚无批量输出，也没有阅片研究；请先运行 `radval batch` 或 `radval study`。</translation>
    </message>
    <message>
        <source>There is no study named &apos;{study}&apos; in this database.</source>
        <translation>此数据库中没有名为“{study}”的研究。</translation>
    </message>
    <message>
        <source>Add the raters first; then hand out one file to each.</source>
        <translation>请先添加评分者，再为每人生成一份文件。</translation>
    </message>
    <message>
        <source>{names} already exist in {folder}; they may hold a rater&apos;s answers. Collect and merge them first, then move them away or choose another folder.</source>
        <translation>{folder} 中已存在 {names}；其中可能有评分者的回答。请先收回并合并，然后移走这些文件或选择其他文件夹。</translation>
    </message>
    <message>
        <source>--columns takes FIELD=COLUMN pairs separated by commas, not &apos;{pair}&apos;; for example --columns findings=检查所见,impression=诊断意见.</source>
        <translation>--columns 需要以逗号分隔的“字段=列名”，而不是“{pair}”；例如 --columns findings=检查所见,impression=诊断意见。</translation>
    </message>
    <message>
        <source>&apos;{name}&apos; is not a field the import knows; use one of {fields}.</source>
        <translation>“{name}”不是导入可识别的字段；请使用以下之一：{fields}。</translation>
    </message>
    <message>
        <source>llama.cpp found no CPU code in {lib_dir} that this processor can run; the installation is incomplete: reinstall RadVal.</source>
        <translation>llama.cpp 在 {lib_dir} 中找不到本处理器可运行的 CPU 代码；安装不完整：请重新安装 RadVal。</translation>
    </message>
    <message>
        <source>The model card holds no prompt templates.</source>
        <translation>模型说明中没有提示词模板。</translation>
    </message>
    <message>
        <source>The safety term file {path} cannot be used: {error!r}.</source>
        <translation>安全检查术语文件 {path} 无法使用：{error!r}。</translation>
    </message>
    <message>
        <source>The starter example file {path} cannot be used: {reason}.</source>
        <translation>内置示例文件 {path} 无法使用：{reason}。</translation>
    </message>
    <message>
        <source>The history database was damaged and a new, empty history was started. The damaged file was kept as {path}; IT may be able to recover older drafts from it.</source>
        <translation>历史记录数据库已损坏，已新建一个空的历史记录。损坏的文件已保留为 {path}；IT 或许能从中恢复较早的草稿。</translation>
    </message>
    <message>
        <source>llama.cpp could not make a context for {slots} drafts at once ({err}). Use a smaller --parallel or a smaller context size.</source>
        <translation>llama.cpp 无法为同时生成 {slots} 份草稿建立上下文（{err}）。请减小 --parallel 或上下文长度。</translation>
    </message>
    <message>
        <source>llama.cpp could not decode the drafts in progress (code {code}: no room left in the context). Use a smaller --parallel or a larger context size; drafts already saved are kept.</source>
        <translation>llama.cpp 无法继续解码正在生成的草稿（代码 {code}：上下文已无空间）。请减小 --parallel 或增大上下文长度；已保存的草稿不受影响。</translation>
    </message>
</context>
<context>
    <name>Report</name>
    <message>
        <source>{title} · Page {page} of {pages}</source>
        <translation>{title} · 第 {page} 页，共 {pages} 页</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>RadVal evaluation: {name}</source>
        <translation>RadVal 评估：{name}</translation>
    </message>
    <message>
        <source>Counts</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>Expert evaluation</source>
        <translation>专家评价</translation>
    </message>
    <message>
        <source>Each rater&apos;s mean over the items, averaged within level (junior, intermediate, senior), then across levels; NA answers left out and counted. Higher is better on every metric.</source>
        <translation>每位评分者在各条目上的均值，先在同一级别（初级、中级、高级）内平均，再跨级别平均；NA 答案不计入，另行计数。各指标均为分数越高越好。</translation>
    </message>
    <message>
        <source>Radar charts</source>
        <translation>雷达图</translation>
    </message>
    <message>
        <source>One row per body system, a chart per scope, one polygon per model; a metric every rater marked NA is a gap in the polygon, named under the chart, not a score of 0.</source>
        <translation>每个部位一行，每个范围一张图，每个模型一个多边形；所有评分者都标为 NA 的指标在多边形中留空，并在图下注明，而不记为 0 分。</translation>
    </message>
    <message>
        <source>Agreement</source>
        <translation>一致性</translation>
    </message>
    <message>
        <source>ICC(2,1): how far a single rater&apos;s score can be trusted; ICC(2,k): the reliability of the mean of the k raters (both two-way random effects, absolute agreement, Shrout &amp; Fleiss 1979, on the items every rater scored; 95% CI from the F distribution, McGraw &amp; Wong 1996). Krippendorff&apos;s alpha, interval metric, on the items two raters or more scored, NA as missing; 95% CI: percentile bootstrap over items ({resamples:,} resamples, seed {seed}; none under {least} items). Each model is given on its own; &apos;{pooled}&apos; pools them, which adds the difference between models to the spread of the items and so reads higher: quote the per-model rows.</source>
        <translation>ICC(2,1)：单个评分者评分的可信程度；ICC(2,k)：k 位评分者均值的信度（均为双向随机效应、绝对一致性，Shrout &amp; Fleiss 1979，基于每位评分者都评过的条目；95% CI 由 F 分布计算，McGraw &amp; Wong 1996）。Krippendorff alpha（区间尺度）基于至少两位评分者评过的条目，NA 视为缺失；95% CI：对条目做百分位自助法（{resamples:,} 次重抽样，种子 {seed}；少于 {least} 个条目时不计算）。每个模型单独给出；“{pooled}”将各模型合并，会把模型间的差异计入条目的离散程度，因而数值偏高：请引用各模型单独的行。</translation>
    </message>
    <message>
        <source>ROUGE, practical utility and output guards</source>
        <translation>ROUGE、实用性与输出检查</translation>
    </message>
    <message>
        <source>No batch outputs in this database (imported candidates only): run `radval batch` for these tables.</source>
        <translation>此数据库中没有批量输出（仅有导入的待评诊断意见）：请运行 `radval batch` 生成这些表格。</translation>
    </message>
    <message>
        <source>Study &apos;{study}&apos;, institution 1 = {institution}</source>
        <translation>研究“{study}”，机构 1 = {institution}</translation>
    </message>
    <message>
        <source>No reader study in this database</source>
        <translation>此数据库中没有阅片研究</translation>
    </message>
    <message>
        <source> · {count} batch outputs</source>
        <translation> · {count} 条批量输出</translation>
    </message>
</context>
<context>
    <name>ResultTables</name>
    <message>
        <source>all</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>Expert scores, mean over rater levels (0-100)</source>
        <translation>专家评分，各评分者级别均值（0-100）</translation>
    </message>
    <message>
        <source>scope</source>
        <translation>范围</translation>
    </message>
    <message>
        <source>body system</source>
        <translation>检查部位</translation>
    </message>
    <message>
        <source>model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>items</source>
        <translation>条目数</translation>
    </message>
    <message>
        <source>answers</source>
        <translation>回答数</translation>
    </message>
    <message>
        <source>{total} ({junior} junior, {intermediate} intermediate, {senior} senior)</source>
        <translation>{total}（初级 {junior}，中级 {intermediate}，高级 {senior}）</translation>
    </message>
    <message>
        <source>cases in the study</source>
        <translation>研究病例数</translation>
    </message>
    <message>
        <source>candidates scored</source>
        <translation>已评分候选</translation>
    </message>
    <message>
        <source>models</source>
        <translation>模型数</translation>
    </message>
    <message>
        <source>raters</source>
        <translation>评分者</translation>
    </message>
    <message>
        <source>scores given</source>
        <translation>已给评分</translation>
    </message>
    <message>
        <source>NA answers (left out)</source>
        <translation>NA 回答（未计入）</translation>
    </message>
    <message>
        <source>Cases, raters and answers</source>
        <translation>病例、评分者与回答</translation>
    </message>
    <message>
        <source>what</source>
        <translation>项目</translation>
    </message>
    <message>
        <source>how many</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>all models</source>
        <translation>全部模型</translation>
    </message>
    <message>
        <source>{low:.2f} to {high:.2f}</source>
        <translation>{low:.2f} 至 {high:.2f}</translation>
    </message>
    <message>
        <source>Agreement across raters</source>
        <translation>评分者间一致性</translation>
    </message>
    <message>
        <source>metric</source>
        <translation>指标</translation>
    </message>
    <message>
        <source>items (ICC)</source>
        <translation>条目数（ICC）</translation>
    </message>
    <message>
        <source>items (alpha)</source>
        <translation>条目数（alpha）</translation>
    </message>
    <message>
        <source>alpha (interval)</source>
        <translation>alpha（区间尺度）</translation>
    </message>
    <message>
        <source>95% CI (bootstrap)</source>
        <translation>95% CI（自助法）</translation>
    </message>
    <message>
        <source>tokenization</source>
        <translation>分词方式</translation>
    </message>
    <message>
        <source>Practical utility (paper Table 8)</source>
        <translation>实用性（论文表 8）</translation>
    </message>
    <message>
        <source>parameters</source>
        <translation>参数量</translation>
    </message>
    <message>
        <source>median s/inference</source>
        <translation>每次推理秒数（中位数）</translation>
    </message>
    <message>
        <source>p90 s/inference</source>
        <translation>每次推理秒数（p90）</translation>
    </message>
    <message>
        <source>Output guards</source>
        <translation>输出检查</translation>
    </message>
    <message>
        <source>outputs</source>
        <translation>输出数</translation>
    </message>
    <message>
        <source>empty attempts</source>
        <translation>空输出次数</translation>
    </message>
    <message>
        <source>repetition attempts</source>
        <translation>重复输出次数</translation>
    </message>
    <message>
        <source>retries</source>
        <translation>重试次数</translation>
    </message>
    <message>
        <source>no usable draft</source>
        <translation>无可用草稿</translation>
    </message>
    <message>
        <source>ROUGE F1 per body system, institution {name} (paper Tables 4-5)</source>
        <translation>各检查部位 ROUGE F1，机构 {name}（论文表 4-5）</translation>
    </message>
    <message>
        <source>ROUGE F1 per institution (paper Tables 2-3)</source>
        <translation>各机构 ROUGE F1（论文表 2-3）</translation>
    </message>
    <message>
        <source>institution</source>
        <translation>机构</translation>
    </message>
    <message>
        <source>ROUGE F1 per body system, all institutions (paper Tables 6-7)</source>
        <translation>各检查部位 ROUGE F1，全部机构（论文表 6-7）</translation>
    </message>
    <message>
        <source>OG, all cases</source>
        <translation>OG，全部病例</translation>
    </message>
    <message>
        <source>IHG, institution {name}</source>
        <translation>IHG，机构 {name}</translation>
    </message>
    <message>
        <source>OHG, institutions other than {name}</source>
        <translation>OHG，除机构 {name} 外的机构</translation>
    </message>
    <message>
        <source>{system} — {scope}</source>
        <translation>{system} — {scope}</translation>
    </message>
</context>
<context>
    <name>ResultsPanel</name>
    <message>
        <source>Open study database…</source>
        <translation>打开研究数据库…</translation>
    </message>
    <message>
        <source>institution 1 (default: first in the data)</source>
        <translation>机构 1（默认：数据中的第一个）</translation>
    </message>
    <message>
        <source>Radar chart:</source>
        <translation>雷达图：</translation>
    </message>
    <message>
        <source>Tables</source>
        <translation>表格</translation>
    </message>
    <message>
        <source>Radar charts</source>
        <translation>雷达图</translation>
    </message>
    <message>
        <source>Study:</source>
        <translation>研究：</translation>
    </message>
    <message>
        <source>Institution 1:</source>
        <translation>机构 1：</translation>
    </message>
    <message>
        <source>Table:</source>
        <translation>表格：</translation>
    </message>
    <message>
        <source>Study database</source>
        <translation>研究数据库</translation>
    </message>
    <message>
        <source>SQLite (*.db *.sqlite);;All files (*)</source>
        <translation>SQLite (*.db *.sqlite);;所有文件 (*)</translation>
    </message>
    <message>
        <source> Study &apos;{study}&apos;: {answers} scores, {na} NA.</source>
        <translation>研究“{study}”：{answers} 个评分，{na} 个 NA。</translation>
    </message>
    <message>
        <source> {count} studies in this file: pick one in the Study box.</source>
        <translation> 此文件含 {count} 个研究：请在“研究”框中选择一个。</translation>
    </message>
    <message>
        <source>{outputs} outputs of {models} model(s).</source>
        <translation>{models} 个模型的 {outputs} 条输出。</translation>
    </message>
</context>
<context>
    <name>ScoreBox</name>
    <message>
        <source>{typed} is not a score; a score is {low} to {high}. Nothing was saved: type the score again.</source>
        <translation>{typed} 不是有效评分；评分范围为 {low} 至 {high}。未保存：请重新输入评分。</translation>
    </message>
</context>
<context>
    <name>ScoringPanel</name>
    <message>
        <source>junior</source>
        <translation>初级</translation>
    </message>
    <message>
        <source>intermediate</source>
        <translation>中级</translation>
    </message>
    <message>
        <source>senior</source>
        <translation>高级</translation>
    </message>
    <message>
        <source>Keys: type a score, Enter = save and next · Alt+S score · Alt+N NA · Alt+I impression (Shift+arrows select) · Alt+Q quote · Alt+E explanation · Alt+M metrics · PgDn/PgUp next/previous impression (what you typed is saved) · Alt+U or Ctrl+J next unanswered</source>
        <translation>按键：输入评分，Enter = 保存并下一项 · Alt+S 评分 · Alt+N 不适用 · Alt+I 诊断意见（Shift+方向键选择）· Alt+Q 引用 · Alt+E 说明 · Alt+M 指标 · PgDn/PgUp 下一条/上一条诊断意见（已输入内容会保存）· Alt+U 或 Ctrl+J 下一个未答项</translation>
    </message>
    <message>
        <source>No study open: open the study file from your study lead.</source>
        <translation>未打开研究：请打开研究负责人提供的研究文件。</translation>
    </message>
    <message>
        <source>&amp;Open study file…</source>
        <translation>打开研究文件(&amp;O)…</translation>
    </message>
    <message>
        <source>your name</source>
        <translation>您的姓名</translation>
    </message>
    <message>
        <source>your level</source>
        <translation>您的级别</translation>
    </message>
    <message>
        <source>S&amp;tart scoring</source>
        <translation>开始评分(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Rater:</source>
        <translation>评分者(&amp;R)：</translation>
    </message>
    <message>
        <source>Study:</source>
        <translation>研究：</translation>
    </message>
    <message>
        <source>%v / %m answered</source>
        <translation>已答 %v / %m</translation>
    </message>
    <message>
        <source>Reference impression:</source>
        <translation>参考诊断意见：</translation>
    </message>
    <message>
        <source>&amp;Impression to score (select text to quote it):</source>
        <translation>待评诊断意见(&amp;I)（选中文字可引用）：</translation>
    </message>
    <message>
        <source>Findings:</source>
        <translation>检查所见：</translation>
    </message>
    <message>
        <source>&amp;Metrics:</source>
        <translation>指标(&amp;M)：</translation>
    </message>
    <message>
        <source>◀ Previous</source>
        <translation>◀ 上一条</translation>
    </message>
    <message>
        <source>Next ▶</source>
        <translation>下一条 ▶</translation>
    </message>
    <message>
        <source>Next &amp;unanswered</source>
        <translation>下一个未答项(&amp;U)</translation>
    </message>
    <message>
        <source>This file is for {name}: press Enter or Start scoring.</source>
        <translation>此文件属于 {name}：按 Enter 或“开始评分”。</translation>
    </message>
    <message>
        <source>{path} holds no study yet; the study lead creates one with `radval study create`.</source>
        <translation>{path} 中尚无研究；研究负责人可用 `radval study create` 创建。</translation>
    </message>
    <message>
        <source>Welcome back, {name}: press Enter or Start scoring to go on where you stopped.</source>
        <translation>欢迎回来，{name}：按 Enter 或“开始评分”从上次停下处继续。</translation>
    </message>
    <message>
        <source>Open a study file</source>
        <translation>打开研究文件</translation>
    </message>
    <message>
        <source>RadVal study (*.db *.sqlite);;All files (*)</source>
        <translation>RadVal 研究 (*.db *.sqlite);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Set by your study lead.</source>
        <translation>由研究负责人设定。</translation>
    </message>
    <message>
        <source>Open a study file first.</source>
        <translation>请先打开研究文件。</translation>
    </message>
    <message>
        <source>Choose your level (junior, intermediate or senior) before you start; your study lead can tell you which.</source>
        <translation>开始前请选择您的级别（初级、中级或高级）；可向研究负责人确认。</translation>
    </message>
    <message>
        <source>This study has no impressions to score.</source>
        <translation>此研究没有待评的诊断意见。</translation>
    </message>
    <message>
        <source>Case {case} of {cases} · impression {candidate} of {candidates} · {system} {modality}</source>
        <translation>病例 {case}/{cases} · 诊断意见 {candidate}/{candidates} · {system} {modality}</translation>
    </message>
    <message>
        <source>All {total} answers are given: you have finished this study. You can still revise any answer. Then close RadVal and send this file back to your study lead, who merges it with the other raters&apos; files: {path}</source>
        <translation>全部 {total} 项已作答：您已完成此研究。仍可修改任何答案。之后请关闭 RadVal，并将此文件交回研究负责人，由其与其他评分者的文件合并：{path}</translation>
    </message>
    <message>
        <source>Select text in the impression first (Alt+I, then Shift+arrows).</source>
        <translation>请先在诊断意见中选中文字（Alt+I，再按 Shift+方向键）。</translation>
    </message>
</context>
<context>
    <name>SealedFile</name>
    <message>
        <source>model file</source>
        <translation>模型文件</translation>
    </message>
    <message>
        <source>adapter</source>
        <translation>适配器</translation>
    </message>
</context>
<context>
    <name>SelfTest</name>
    <message>
        <source>version</source>
        <translation>版本</translation>
    </message>
    <message>
        <source>settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>llama.cpp</source>
        <translation>llama.cpp</translation>
    </message>
    <message>
        <source>cpu</source>
        <translation>处理器</translation>
    </message>
    <message>
        <source>model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>sha256</source>
        <translation>sha256</translation>
    </message>
    <message>
        <source>allowlist</source>
        <translation>允许列表</translation>
    </message>
    <message>
        <source>load</source>
        <translation>加载</translation>
    </message>
    <message>
        <source>device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>draft</source>
        <translation>草稿</translation>
    </message>
    <message>
        <source>database</source>
        <translation>数据库</translation>
    </message>
    <message>
        <source>fonts</source>
        <translation>字体</translation>
    </message>
    <message>
        <source>Qt</source>
        <translation>Qt 界面库</translation>
    </message>
    <message>
        <source>checks</source>
        <translation>安全检查</translation>
    </message>
    <message>
        <source>, </source>
        <translation>、</translation>
    </message>
    <message>
        <source>RadVal self-test ({when})</source>
        <translation>RadVal 自检（{when}）</translation>
    </message>
    <message>
        <source>PASS, with a warning: RadVal runs on this workstation, but see {names} ({seconds:.1f} s).</source>
        <translation>通过，但有警告：RadVal 可在此工作站运行，但请查看{names}（{seconds:.1f} 秒）。</translation>
    </message>
    <message>
        <source>PASS: RadVal is ready to draft on this workstation ({seconds:.1f} s).</source>
        <translation>通过：RadVal 已可在此工作站生成草稿（{seconds:.1f} 秒）。</translation>
    </message>
    <message>
        <source>FAIL: {names}: see the lines marked FAIL ({seconds:.1f} s).</source>
        <translation>未通过：{names}：请查看标为 FAIL 的行（{seconds:.1f} 秒）。</translation>
    </message>
    <message>
        <source>RadVal {version}, installed app {folder}</source>
        <translation>RadVal {version}，已安装的程序 {folder}</translation>
    </message>
    <message>
        <source>RadVal {version}, from source, Python {python} at {executable}</source>
        <translation>RadVal {version}，从源代码运行，Python {python}（{executable}）</translation>
    </message>
    <message>
        <source>{file} sets {keys}</source>
        <translation>{file} 设置了 {keys}</translation>
    </message>
    <message>
        <source>IT&apos;s {file} sets nothing: defaults apply</source>
        <translation>IT 的 {file} 未设置任何项：使用默认值</translation>
    </message>
    <message>
        <source>IT&apos;s {file} is absent: defaults apply</source>
        <translation>IT 的 {file} 不存在：使用默认值</translation>
    </message>
    <message>
        <source>{path} writable (history off)</source>
        <translation>{path} 可写入（历史记录关闭）</translation>
    </message>
    <message>
        <source>{path} writable (history on, kept {days} days)</source>
        <translation>{path} 可写入（历史记录开启，保留 {days} 天）</translation>
    </message>
    <message>
        <source>{path} writable (history on, kept forever)</source>
        <translation>{path} 可写入（历史记录开启，永久保留）</translation>
    </message>
    <message>
        <source>{path} present</source>
        <translation>{path} 存在</translation>
    </message>
    <message>
        <source>{path} MISSING</source>
        <translation>{path} 缺失</translation>
    </message>
    <message>
        <source>PySide6 is missing: the window cannot open</source>
        <translation>缺少 PySide6：窗口无法打开</translation>
    </message>
    <message>
        <source>display plugin {path}</source>
        <translation>显示插件 {path}</translation>
    </message>
    <message>
        <source>display plugin {path} MISSING</source>
        <translation>显示插件 {path} 缺失</translation>
    </message>
    <message>
        <source>command line</source>
        <translation>命令行</translation>
    </message>
    <message>
        <source>embedded default model</source>
        <translation>内置默认模型</translation>
    </message>
    <message>
        <source>{path} ({source}) does not exist</source>
        <translation>{path}（{source}）不存在</translation>
    </message>
    <message>
        <source>{path} ({source}, {mb:,.0f} MB)</source>
        <translation>{path}（{source}，{mb:,.0f} MB）</translation>
    </message>
    <message>
        <source>{digest} (IT&apos;s pin {pin}…)</source>
        <translation>{digest}（IT 指定的校验值 {pin}…）</translation>
    </message>
    <message>
        <source>no allowlist set by IT (model.allowed_sha256): any model loads</source>
        <translation>IT 未设置允许列表（model.allowed_sha256）：任何模型均可加载</translation>
    </message>
    <message>
        <source>on IT&apos;s list of approved models ({count} approved)</source>
        <translation>在 IT 批准的模型列表中（共 {count} 个）</translation>
    </message>
    <message>
        <source>NOT on IT&apos;s list of approved models ({count} approved): it is refused</source>
        <translation>不在 IT 批准的模型列表中（共 {count} 个）：拒绝加载</translation>
    </message>
    <message>
        <source>{version}, {explain}</source>
        <translation>{version}，{explain}</translation>
    </message>
    <message>
        <source>{name} in {seconds:.2f} s, 1 thread</source>
        <translation>{name} 加载用时 {seconds:.2f} 秒，1 个线程</translation>
    </message>
    <message>
        <source>{name} in {seconds:.2f} s, {threads} threads</source>
        <translation>{name} 加载用时 {seconds:.2f} 秒，{threads} 个线程</translation>
    </message>
    <message>
        <source>{tokens} tokens, {rate:.0f} tok/s, {examples} {source} examples</source>
        <translation>{tokens} 个词元，{rate:.0f} 词元/秒，{examples} 条{source}示例</translation>
    </message>
    <message>
        <source>{seconds:.2f} s, {speed}: {text}</source>
        <translation>{seconds:.2f} 秒，{speed}：{text}</translation>
    </message>
    <message>
        <source>the model ran, but its drafts were refused: {message} ({speed})</source>
        <translation>模型可以运行，但其草稿均被拒绝：{message}（{speed}）</translation>
    </message>
    <message>
        <source>{message} ({speed})</source>
        <translation>{message}（{speed}）</translation>
    </message>
    <message>
        <source>the safety checks flag the draft: {reason} ({count} flag(s))</source>
        <translation>安全检查对草稿提出提示：{reason}（共 {count} 条）</translation>
    </message>
    <message>
        <source>past-report</source>
        <translation>既往报告</translation>
    </message>
    <message>
        <source>starter</source>
        <translation>内置</translation>
    </message>
    <message>
        <source>given</source>
        <translation>给定</translation>
    </message>
    <message>
        <source>no</source>
        <translation>无</translation>
    </message>
</context>
<context>
    <name>SettingHelp</name>
    <message>
        <source>GGUF file to draft with; empty = the embedded default model</source>
        <translation>用于生成草稿的 GGUF 文件；留空 = 内置默认模型</translation>
    </message>
    <message>
        <source>IT&apos;s pin: the model file must have this sha256</source>
        <translation>IT 指定的校验值：模型文件必须具有此 sha256</translation>
    </message>
    <message>
        <source>IT&apos;s allowlist of model sha256 values; a model not on it is refused; empty = no allowlist</source>
        <translation>IT 批准的模型 sha256 列表；不在列表中的模型将被拒绝；留空 = 不限制</translation>
    </message>
    <message>
        <source>-1 = all layers on the GPU</source>
        <translation>-1 = 全部层在 GPU 上</translation>
    </message>
    <message>
        <source>0 = generate on all cores but one (max 8) and read each prompt on the cores idle then</source>
        <translation>0 = 使用除一个以外的全部核心生成（最多 8 个），读取提示词时使用当时空闲的核心</translation>
    </message>
    <message>
        <source>context size in tokens</source>
        <translation>上下文长度（词元）</translation>
    </message>
    <message>
        <source>on a CPU with BF16 arithmetic, read a small quantized model from a BF16 copy in memory (faster prompts, ~2.6x the model&apos;s RAM); false = the file as it is</source>
        <translation>在支持 BF16 运算的 CPU 上，小型量化模型从内存中的 BF16 副本读取（提示词更快，内存约为模型的 2.6 倍）；false = 直接使用文件</translation>
    </message>
    <message>
        <source>GGUF LoRA adapter applied on top of the model (one per institution, exported by training/); empty = none</source>
        <translation>叠加在模型上的 GGUF LoRA 适配器（每个机构一个，由 training/ 导出）；留空 = 不使用</translation>
    </message>
    <message>
        <source>folders listed in the Models view; empty = the models folder in RadVal&apos;s data folder</source>
        <translation>“模型”页列出的文件夹；留空 = RadVal 数据文件夹中的 models 文件夹</translation>
    </message>
    <message>
        <source>the hospital&apos;s Hugging Face mirror URL, read from IT&apos;s system file only; empty = no downloads and no network</source>
        <translation>医院的 Hugging Face 镜像地址，仅从 IT 的系统文件读取；留空 = 不下载、不联网</translation>
    </message>
    <message>
        <source>a pre-seeded Hugging Face cache folder IT copies to each workstation; its GGUF files are listed and used offline</source>
        <translation>IT 预先复制到各工作站的 Hugging Face 缓存文件夹；其中的 GGUF 文件会被列出并离线使用</translation>
    </message>
    <message>
        <source>files IT offers for download: owner/repo/file.gguf; read from IT&apos;s system file only; empty = any file of IT&apos;s mirror</source>
        <translation>IT 提供下载的文件：owner/repo/file.gguf；仅从 IT 的系统文件读取；留空 = IT 镜像中的任何文件</translation>
    </message>
    <message>
        <source>branch, tag or commit of the mirror&apos;s repos, read from IT&apos;s system file only</source>
        <translation>镜像仓库的分支、标签或提交，仅从 IT 的系统文件读取</translation>
    </message>
    <message>
        <source>OpenAI-compatible servers `radval batch --server` may use, name = base URL; read from IT&apos;s system file only</source>
        <translation>`radval batch --server` 可使用的 OpenAI 兼容服务器，名称 = 基础 URL；仅从 IT 的系统文件读取</translation>
    </message>
    <message>
        <source>0 = greedy, same draft each time</source>
        <translation>0 = 贪心解码，每次草稿相同</translation>
    </message>
    <message>
        <source>paper §3.4</source>
        <translation>论文 §3.4</translation>
    </message>
    <message>
        <source>&gt; 1 discourages loops</source>
        <translation>&gt; 1 可减少重复</translation>
    </message>
    <message>
        <source>paper §3.4: max new tokens</source>
        <translation>论文 §3.4：最多新生成的词元数</translation>
    </message>
    <message>
        <source>seed for non-greedy sampling</source>
        <translation>非贪心采样的随机种子</translation>
    </message>
    <message>
        <source>prompt template id; empty = the model card&apos;s (a fine-tuned model&apos;s training prompt), else the file&apos;s default</source>
        <translation>提示词模板编号；留空 = 使用模型说明中的模板（微调模型训练时的提示词），否则使用文件默认模板</translation>
    </message>
    <message>
        <source>auto, en or zh</source>
        <translation>auto（自动）、en 或 zh</translation>
    </message>
    <message>
        <source>retrieved past examples per prompt; 0 = off</source>
        <translation>每个提示词检索的既往示例数；0 = 关闭</translation>
    </message>
    <message>
        <source>most characters of examples per prompt (~600-1,200 tokens, room left in a 4,096 context)</source>
        <translation>每个提示词中示例的最多字符数（约 600-1,200 词元，在 4,096 的上下文中留出余量）</translation>
    </message>
    <message>
        <source>check each impression against its findings before Copy (side, negation, missed, unsupported)</source>
        <translation>复制前将诊断意见与检查所见核对（侧别、否定、遗漏、无依据）</translation>
    </message>
    <message>
        <source>keep every draft in the local history</source>
        <translation>在本地历史记录中保存每份草稿</translation>
    </message>
    <message>
        <source>drafts older than this are deleted; 0 = forever</source>
        <translation>超过此天数的草稿将被删除；0 = 永久保留</translation>
    </message>
    <message>
        <source>window language: auto (the system&apos;s), en or zh_CN; takes effect at the next start</source>
        <translation>界面语言：auto（跟随系统）、en 或 zh_CN；下次启动时生效</translation>
    </message>
</context>
<context>
    <name>Settings</name>
    <message>
        <source>cannot be read ({reason})</source>
        <translation>无法读取（{reason}）</translation>
    </message>
    <message>
        <source>make it readable by every user (chmod 644)</source>
        <translation>使所有用户均可读取（chmod 644）</translation>
    </message>
    <message>
        <source>is not UTF-8 text</source>
        <translation>不是 UTF-8 文本</translation>
    </message>
    <message>
        <source>save it as UTF-8</source>
        <translation>以 UTF-8 编码保存</translation>
    </message>
    <message>
        <source>correct it</source>
        <translation>更正该文件</translation>
    </message>
    <message>
        <source>write Windows paths in single quotes (&apos;C:\models\a.gguf&apos;) or with forward slashes (&quot;C:/models/a.gguf&quot;)</source>
        <translation>将 Windows 路径写在单引号中（&apos;C:\models\a.gguf&apos;）或改用正斜杠（&quot;C:/models/a.gguf&quot;）</translation>
    </message>
    <message>
        <source>is not valid TOML ({error})</source>
        <translation>不是有效的 TOML（{error}）</translation>
    </message>
    <message>
        <source>a whole number</source>
        <translation>整数</translation>
    </message>
    <message>
        <source>a number</source>
        <translation>数字</translation>
    </message>
    <message>
        <source>text</source>
        <translation>文本</translation>
    </message>
    <message>
        <source>true or false</source>
        <translation>true 或 false</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Model file</source>
        <translation>模型文件</translation>
    </message>
    <message>
        <source>GPU layers</source>
        <translation>GPU 层数</translation>
    </message>
    <message>
        <source>Threads</source>
        <translation>线程数</translation>
    </message>
    <message>
        <source>Context size (tokens)</source>
        <translation>上下文长度（词元）</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <source>Top-k</source>
        <translation>候选词数（Top-k）</translation>
    </message>
    <message>
        <source>Top-p</source>
        <translation>累积概率（Top-p）</translation>
    </message>
    <message>
        <source>Repeat penalty</source>
        <translation>重复惩罚</translation>
    </message>
    <message>
        <source>Longest draft (tokens)</source>
        <translation>草稿最大长度（词元）</translation>
    </message>
    <message>
        <source>Random seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <source>Past examples per draft</source>
        <translation>每份草稿参考的既往示例数</translation>
    </message>
    <message>
        <source>Most characters of examples</source>
        <translation>示例最多字符数</translation>
    </message>
    <message>
        <source>Safety checks before Copy</source>
        <translation>复制前进行安全检查</translation>
    </message>
    <message>
        <source>Keep a history of drafts</source>
        <translation>保存草稿历史记录</translation>
    </message>
    <message>
        <source>Keep drafts for (days)</source>
        <translation>草稿保留天数</translation>
    </message>
    <message>
        <source>Window language</source>
        <translation>界面语言</translation>
    </message>
    <message>
        <source>The system&apos;s language</source>
        <translation>跟随系统语言</translation>
    </message>
    <message>
        <source>set by IT in {file}</source>
        <translation>由 IT 在 {file} 中设定</translation>
    </message>
    <message>
        <source>default</source>
        <translation>默认</translation>
    </message>
    <message>
        <source>from {file}</source>
        <translation>来自 {file}</translation>
    </message>
    <message>
        <source>RadVal settings</source>
        <translation>RadVal 设置</translation>
    </message>
    <message>
        <source>{key}: {help}</source>
        <translation>{key}：{help}</translation>
    </message>
    <message>
        <source>The language takes effect at the next start.</source>
        <translation>界面语言在下次启动时生效。</translation>
    </message>
    <message>
        <source>empty = the embedded default model</source>
        <translation>留空 = 内置默认模型</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>选择…</translation>
    </message>
    <message>
        <source>Choose a GGUF model</source>
        <translation>选择 GGUF 模型</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf);;All files (*)</source>
        <translation>GGUF 模型 (*.gguf);;所有文件 (*)</translation>
    </message>
</context>
<context>
    <name>StudyPanel</name>
    <message>
        <source>RadVal study (*.db *.sqlite);;All files (*)</source>
        <translation>RadVal 研究 (*.db *.sqlite);;所有文件 (*)</translation>
    </message>
    <message>
        <source>No study file open: create one, or open yours.</source>
        <translation>未打开研究文件：请新建一个，或打开已有文件。</translation>
    </message>
    <message>
        <source>&amp;New study file…</source>
        <translation>新建研究文件(&amp;N)…</translation>
    </message>
    <message>
        <source>&amp;Open study file…</source>
        <translation>打开研究文件(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Import candidates…</source>
        <translation>导入待评诊断意见(&amp;I)…</translation>
    </message>
    <message>
        <source>The institution of rows that name none.</source>
        <translation>未注明机构的行所属的机构。</translation>
    </message>
    <message>
        <source>study name</source>
        <translation>研究名称</translation>
    </message>
    <message>
        <source>choose institution 1 (IHG)</source>
        <translation>选择机构 1（IHG）</translation>
    </message>
    <message>
        <source>Show raters the reference impression</source>
        <translation>向评分者显示参考诊断意见</translation>
    </message>
    <message>
        <source>&amp;Create study</source>
        <translation>创建研究(&amp;C)</translation>
    </message>
    <message>
        <source>rater&apos;s name</source>
        <translation>评分者姓名</translation>
    </message>
    <message>
        <source>level</source>
        <translation>级别</translation>
    </message>
    <message>
        <source>&amp;Add rater</source>
        <translation>添加评分者(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Hand out one file per rater…</source>
        <translation>为每位评分者生成文件(&amp;H)…</translation>
    </message>
    <message>
        <source>Co&amp;llect and merge returned files…</source>
        <translation>收回并合并文件(&amp;L)…</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>刷新(&amp;R)</translation>
    </message>
    <message>
        <source>1. Candidates</source>
        <translation>1. 待评诊断意见</translation>
    </message>
    <message>
        <source>rows naming no institution:</source>
        <translation>未注明机构的行：</translation>
    </message>
    <message>
        <source>2. Study</source>
        <translation>2. 研究</translation>
    </message>
    <message>
        <source>Institution 1:</source>
        <translation>机构 1：</translation>
    </message>
    <message>
        <source>Study:</source>
        <translation>研究：</translation>
    </message>
    <message>
        <source>3. Raters</source>
        <translation>3. 评分者</translation>
    </message>
    <message>
        <source>4. Files</source>
        <translation>4. 文件</translation>
    </message>
    <message>
        <source>Progress (answers in this file: merge returned files to update it):</source>
        <translation>进度（本文件中的答案：合并收回的文件以更新）：</translation>
    </message>
    <message>
        <source>{cases} cases from {n} institution(s) ({names}), {candidates} candidate impressions of {models} model(s).</source>
        <translation>{cases} 个病例，来自 {n} 个机构（{names}），{models} 个模型的 {candidates} 条待评诊断意见。</translation>
    </message>
    <message>
        <source>New study file</source>
        <translation>新建研究文件</translation>
    </message>
    <message>
        <source>Open a study file</source>
        <translation>打开研究文件</translation>
    </message>
    <message>
        <source>Import candidate impressions</source>
        <translation>导入待评诊断意见</translation>
    </message>
    <message>
        <source>CSV, Excel or JSONL (*.csv *.tsv *.xlsx *.jsonl);;All files (*)</source>
        <translation>CSV、Excel 或 JSONL (*.csv *.tsv *.xlsx *.jsonl);;所有文件 (*)</translation>
    </message>
    <message>
        <source>{name} has no rows to read: its first line should name the columns (findings, model, candidate …) and the cases follow, one a row.</source>
        <translation>{name} 中没有可读取的行：第一行应写出各列的名称（findings、model、candidate …），其后每行一个病例。</translation>
    </message>
    <message>
        <source>Importing {name}…</source>
        <translation>正在导入 {name}…</translation>
    </message>
    <message>
        <source>Give the study a name.</source>
        <translation>请为研究命名。</translation>
    </message>
    <message>
        <source>Choose institution 1 (the internal one, IHG in the results) from the institutions of the imported cases; import candidates first if there are none.</source>
        <translation>请从已导入病例的机构中选择机构 1（本院，结果中的 IHG）；如尚无机构，请先导入待评诊断意见。</translation>
    </message>
    <message>
        <source>Study &apos;{name}&apos; created: institution 1 = {first}. Now add the raters.</source>
        <translation>研究“{name}”已创建：机构 1 = {first}。现在请添加评分者。</translation>
    </message>
    <message>
        <source>Create or choose the study first.</source>
        <translation>请先创建或选择研究。</translation>
    </message>
    <message>
        <source>Choose the rater&apos;s level: junior, intermediate or senior. It decides which group&apos;s mean they count in.</source>
        <translation>请选择评分者级别：初级、中级或高级。它决定此人计入哪一组的均分。</translation>
    </message>
    <message>
        <source>{name} ({level}): {count} impressions assigned.</source>
        <translation>{name}（{level}）：已分配 {count} 条诊断意见。</translation>
    </message>
    <message>
        <source>Folder for the raters&apos; files</source>
        <translation>评分者文件的保存文件夹</translation>
    </message>
    <message>
        <source>Writing {count} files…</source>
        <translation>正在写入 {count} 个文件…</translation>
    </message>
    <message>
        <source>The raters&apos; returned files</source>
        <translation>评分者交回的文件</translation>
    </message>
    <message>
        <source>Merging {count} files…</source>
        <translation>正在合并 {count} 个文件…</translation>
    </message>
    <message>
        <source>Another task is still running; try again when it is done.</source>
        <translation>另一项任务仍在进行；完成后请重试。</translation>
    </message>
    <message>
        <source>{cases} cases, {candidates} candidates imported; {n} rows skipped.</source>
        <translation>已导入 {cases} 个病例、{candidates} 条待评诊断意见；跳过 {n} 行。</translation>
    </message>
    <message>
        <source>Columns: {columns}</source>
        <translation>列：{columns}</translation>
    </message>
    <message>
        <source>{problem}; skipped</source>
        <translation>{problem}；已跳过</translation>
    </message>
    <message>
        <source>… and {n} more rows skipped: `radval study import` lists each.</source>
        <translation>……另有 {n} 行被跳过：`radval study import` 会逐行列出。</translation>
    </message>
    <message>
        <source>Send each rater their own file; they open it in the Scoring tab, then send it back:
</source>
        <translation>请将各自的文件发给每位评分者；他们在“评分”页打开，完成后交回：
</translation>
    </message>
    <message>
        <source>Merged: {answers} new or changed answers; {conflicts} conflicting edits (the latest kept); {left} rows left out.</source>
        <translation>已合并：{answers} 条新增或更改的答案；{conflicts} 处冲突修改（保留最新）；{left} 行未并入。</translation>
    </message>
</context>
</TS>
